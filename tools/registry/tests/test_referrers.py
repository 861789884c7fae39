"""Evidence attached as OCI 1.1 referrers against the real docker-registry (TLS, htpasswd): it has
no referrers API, so the referrers tag scheme; found again from the image digest, the same
artifact bytes on every push; a registry that has the API (answered by the proxy) is asked
first; pulls are checked against their digests."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tools.common import canonical_json, oci
from tools.evidence import dsse
from tools.registry import pull, referrers
from tools.registry.client import RegistryClient, referrers_tag
from tools.registry.docker_config import Credentials
from tools.registry.errors import RegistryError
from tools.registry.reference import parse_repository
from tools.registry.tests import layouts, servers
from tools.registry.tests.conftest import skopeo_raw
from tools.registry.tests.test_publish import CREDS, assert_one_line_error
from tools.registry.transport import Transport, TransportOptions


def _evidence(tmp_path, digest: str) -> tuple[str, str]:
    sbom = tmp_path / "image_sbom.spdx.json"
    sbom.write_bytes(canonical_json.dumps({"spdxVersion": "SPDX-2.3", "name": "image"}))
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
                 "subject": [{"name": "image", "digest": {"sha256": digest.split(":")[1]}}], "predicate": {}}
    envelope = tmp_path / "image_provenance.intoto.json"
    envelope.write_bytes(canonical_json.dumps(dsse.envelope(canonical_json.dumps(statement))))
    return str(sbom), str(envelope)


def _key(tmp_path) -> tuple[str, ed25519.Ed25519PublicKey]:
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path), key.public_key()


def _client(registry, pki, repo: str, host: str | None = None, plain: bool = False) -> RegistryClient:
    transport = Transport(TransportOptions(ca_file=None if plain else pki.ca_cert, plain_http=plain))
    return RegistryClient(parse_repository(f"{host or registry.host}/{repo}"), transport,
                          Credentials(servers.USER, servers.PASSWORD), push=False, log=lambda m: None)


@pytest.fixture
def published(cli, registry, pki, docker_config, repo_name, tmp_path):
    image = layouts.make_layout(str(tmp_path / "image"), {"a.txt": b"alpha", "b.txt": b"beta"})
    digest = image["manifest_digest"]
    sbom, provenance = _evidence(tmp_path, digest)
    key, public = _key(tmp_path)
    args = ["--layout", image["root"], "--repository", f"{registry.host}/{repo_name}", "--ca_file", pki.ca_cert,
            "--sbom", sbom, "--provenance", provenance, "--sign_key", key, "--tag", "v1"]
    result = cli.run(*args, docker_config=docker_config)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{registry.host}/{repo_name}@{digest}\n"
    return image, sbom, provenance, public, args, result


def test_evidence_found_again_from_the_image_digest(published, registry, pki, repo_name, cli, docker_config,
                                                    tmp_path):
    image, sbom, provenance, public, args, first = published
    digest = image["manifest_digest"]
    client = _client(registry, pki, repo_name)
    client.ping()
    # docker-registry 2.8 has no referrers API: it is asked, then the tag scheme is used.
    assert client.referrers_api(digest) is None
    found = referrers.list_referrers(client, digest)
    assert {r.artifact_type for r in found} == {referrers.SBOM_ARTIFACT_TYPE, referrers.PROVENANCE_ARTIFACT_TYPE}
    assert {r.scheme for r in found} == {"tag " + referrers_tag(digest)}
    assert f"(found by the tag {referrers_tag(digest)})" in first.stderr

    # The SBOM comes back byte for byte; the artifact manifest is a pure function of subject and file.
    sbom_ref = next(r for r in found if r.artifact_type == referrers.SBOM_ARTIFACT_TYPE)
    artifact = referrers.fetch_artifact(client, sbom_ref.digest, str(tmp_path))
    with open(sbom, "rb") as f:
        sbom_bytes = f.read()
    assert artifact.data == sbom_bytes and artifact.subject == digest
    subject = oci.Descriptor(oci.OCI_MANIFEST, digest, len(image["manifest_bytes"]))
    expected = referrers.artifact_manifest(subject, referrers.SBOM_ARTIFACT_TYPE, referrers.SBOM_ARTIFACT_TYPE,
                                           sbom_bytes, os.path.basename(sbom))
    assert artifact.manifest.data == expected
    body = json.loads(expected)
    assert body["config"] == {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:"
                              + hashlib.sha256(b"{}").hexdigest(), "size": 2}
    assert body["subject"]["digest"] == digest and body["artifactType"] == "application/spdx+json"

    # The provenance is the signed envelope; its signature verifies with the public key.
    prov_ref = next(r for r in found if r.artifact_type == referrers.PROVENANCE_ARTIFACT_TYPE)
    envelope = json.loads(referrers.fetch_artifact(client, prov_ref.digest, str(tmp_path)).data)
    statement = json.loads(dsse.verify(envelope, public, "pulled provenance"))
    assert statement["subject"][0]["digest"]["sha256"] == digest[7:]

    # The referrers tag holds an OCI index a standard client reads.
    index = json.loads(skopeo_raw(pki, f"{registry.host}/{repo_name}:{referrers_tag(digest)}", creds=CREDS))
    assert sorted(m["digest"] for m in index["manifests"]) == sorted(r.digest for r in found)

    # Publishing again (ed25519 signatures are deterministic) gives the same artifacts: the index
    # is not rewritten and does not grow.
    again = cli.run(*args, docker_config=docker_config)
    assert again.returncode == 0, again.stderr
    assert referrers.list_referrers(client, digest) == found
    log = registry.log()
    assert log.count(f'"PUT /v2/{repo_name}/manifests/{referrers_tag(digest)} ') == 1


def test_pull_to_layout_gives_the_same_image(published, registry, pki, repo_name, tmp_path):
    image = published[0]
    client = _client(registry, pki, repo_name)
    dest = str(tmp_path / "pulled")
    assert pull.pull_to_layout(client, "v1", dest) == image["manifest_digest"]
    pulled = oci.resolve_image(oci.Layout.open(dest, "pulled"))
    assert pulled.manifest_descriptor.digest == image["manifest_digest"]
    for name in os.listdir(os.path.join(image["root"], "blobs", "sha256")):
        with open(os.path.join(image["root"], "blobs", "sha256", name), "rb") as a, \
                open(os.path.join(dest, "blobs", "sha256", name), "rb") as b:
            assert a.read() == b.read(), name


def test_a_blob_with_the_wrong_bytes_is_refused(published, registry, pki, repo_name, tmp_path):
    image = published[0]
    proxy = servers.FaultProxy(registry)
    try:
        layer = image["layer_digests"][0]
        proxy.faults.append(servers.Fault("GET", f"/blobs/{layer}", status=200, body=b"not the layer"))
        client = _client(registry, pki, repo_name, host=proxy.host, plain=True)
        with pytest.raises(RegistryError, match=f"served 13 bytes with digest sha256:[0-9a-f]{{64}} for blob {layer}"):
            pull.pull_to_layout(client, image["manifest_digest"], str(tmp_path / "bad"))
        assert not os.path.exists(tmp_path / "bad")  # nothing half-written
    finally:
        proxy.stop()


def test_the_referrers_api_is_used_where_the_registry_has_one(published, registry, pki, repo_name):
    digest = published[0]["manifest_digest"]
    listed = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": oci.OCI_MANIFEST, "digest": "sha256:" + "a" * 64, "size": 10,
         "artifactType": referrers.SBOM_ARTIFACT_TYPE}]}
    proxy = servers.FaultProxy(registry)
    try:
        proxy.faults.append(servers.Fault("GET", f"/referrers/{digest}", status=200, body=json.dumps(listed).encode(),
                                          headers={"Content-Type": "application/vnd.oci.image.index.v1+json"}))
        client = _client(registry, pki, repo_name, host=proxy.host, plain=True)
        client.ping()
        found = referrers.list_referrers(client, digest)
        assert [(r.digest, r.scheme) for r in found] == [("sha256:" + "a" * 64, "referrers API")]
        assert proxy.count("GET", referrers_tag(digest)) == 0  # the tag is not read when the API answers
    finally:
        proxy.stop()


def test_stale_provenance_is_refused_before_anything_is_pushed(cli, registry, pki, docker_config, repo_name, tmp_path):
    image = layouts.make_layout(str(tmp_path / "image"))
    sbom, provenance = _evidence(tmp_path, "sha256:" + "0" * 64)
    result = cli.run("--layout", image["root"], "--repository", f"{registry.host}/{repo_name}", "--ca_file",
                     pki.ca_cert, "--sbom", sbom, "--provenance", provenance, docker_config=docker_config)
    assert_one_line_error(result, f"provenance {provenance} is about sha256:{'0' * 64}",
                          "rebuild the provenance with the image")
    assert f"{repo_name}/manifests" not in registry.log()
    # Opting out pushes the image alone, and nothing refers to it.
    result = cli.run("--layout", image["root"], "--repository", f"{registry.host}/{repo_name}", "--ca_file",
                     pki.ca_cert, "--sbom", sbom, "--provenance", provenance, "--noattach_evidence",
                     docker_config=docker_config)
    assert result.returncode == 0, result.stderr
    client = _client(registry, pki, repo_name)
    client.ping()
    assert referrers.list_referrers(client, image["manifest_digest"]) == []
    missing = cli.run("--layout", image["root"], "--repository", f"{registry.host}/{repo_name}", "--ca_file",
                      pki.ca_cert, "--sbom", str(tmp_path / "none.spdx.json"), docker_config=docker_config)
    assert_one_line_error(missing, f"SBOM {tmp_path / 'none.spdx.json'} does not exist")
