"""verify registry against the real docker-registry on 127.0.0.1 (TLS, htpasswd): images published
with image_publish, their signed provenance attached as referrers. MATCH with the provenance
checked; MISMATCH explained for an image rebuilt with one changed class (against the local
build: the jar and the class) and for a planted wrong digest (the manifest entry is wrong);
MISMATCH for provenance signed by another key; MISSING for a service never published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.common import canonical_json, oci
from tools.evidence import dsse
from tools.image import image_source
from tools.registry import reader
from tools.registry.tests import servers
from tools.registry.tests.conftest import Cli, auth_entry, pki, registry, require, write_docker_config  # noqa: F401
from tools.verify.tests.test_layouts_and_provenance import VERIFY, _image, _keys, run


def _provenance(directory: Path, name: str, digest: str) -> Path:
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
                 "subject": [{"name": name, "digest": {"sha256": digest.split(":")[1]}}], "predicate": {}}
    path = directory / f"{name}_provenance.intoto.json"
    path.write_bytes(canonical_json.dumps(dsse.envelope(canonical_json.dumps(statement))))
    return path


def test_verify_registry(tmp_path, registry, pki):  # noqa: F811 - fixtures imported above
    require("docker-registry", "htpasswd")
    built, pushed = tmp_path / "built", tmp_path / "pushed"
    expected = {name: _image(built, name, name.encode()) for name in ("alpha", "beta", "gamma", "delta", "omega")}
    found = {name: _image(pushed, name, b"B" if name == "beta" else name.encode()) for name in
             ("alpha", "beta", "gamma", "delta")}  # beta: one changed class; omega: never published
    assert found["alpha"] == expected["alpha"] and found["beta"] != expected["beta"]
    private, public = _keys(tmp_path, "ed25519")
    (tmp_path / "other").mkdir()
    other, _ = _keys(tmp_path / "other", "ed25519")
    docker = write_docker_config(str(tmp_path / "docker"), {"auths": {
        registry.host: auth_entry(servers.USER, servers.PASSWORD)}})
    cli = Cli(str(tmp_path))
    prefix = f"{registry.host}/release"
    for name, digest in found.items():
        sbom = tmp_path / f"{name}_sbom.spdx.json"
        sbom.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "name": name}))
        key = other if name == "delta" else private
        result = cli.run("--layout", str(pushed / name), "--repository", f"{prefix}/{name}", "--ca_file", pki.ca_cert,
                         "--sbom", str(sbom), "--provenance", str(_provenance(tmp_path, name, digest)),
                         "--sign_key", str(key), "--tag", "latest", docker_config=docker)
        assert result.returncode == 0, result.stderr
    manifest = tmp_path / "expected_hashes.json"
    planted = "sha256:" + "0" * 64
    manifest.write_text(json.dumps({**expected, "gamma": planted}))

    result = run(VERIFY, "registry", f"--repository={prefix}", f"--ca_file={pki.ca_cert}", f"--docker_config={docker}",
                 f"--public_key={public}", f"--built={built}", f"--expected={manifest}")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    heads = {line.split()[1].rstrip(":"): line for line in lines if not line.startswith(" ")}
    assert sorted(heads) == ["alpha", "beta", "delta", "gamma", "omega"]
    key_id = dsse.keyid(dsse.load_public_key(str(public)))
    assert heads["alpha"].startswith(f"MATCH alpha {expected['alpha']} (provenance sha256:")
    assert f"signed by key {key_id}, subject {expected['alpha']} (found by the tag sha256-" in heads["alpha"]
    assert "; sbom sha256:" in heads["alpha"]

    beta = lines[lines.index(heads["beta"]) + 1:lines.index(heads["delta"])]
    assert heads["beta"] == f"MISMATCH beta: {found['beta']} in {prefix}/<service>:latest, expected " \
                            f"{expected['beta']} ({manifest})"
    text = "\n".join(beta)
    assert "first differing entry (in path order): app/app.jar" in text
    assert "inside app/app.jar (jar): first differing entry org/example/Greeting.class" in text
    assert "class org.example.Greeting" in text

    assert heads["gamma"].startswith(f"MISMATCH gamma: {found['gamma']} in ") and f"expected {planted}" in heads["gamma"]
    gamma_why = lines[lines.index(heads["gamma"]) + 1]
    assert f"the image is exactly what the local build ({built}/gamma) makes, {found['gamma']}" in gamma_why
    assert f"the expected digest {planted} in {manifest} is not: that entry is wrong or stale" in gamma_why

    assert heads["delta"].startswith(f"MISMATCH delta: {found['delta']} is the expected digest, but its provenance "
                                     "fails: provenance sha256:")
    assert "no signature verifies with the public key" in heads["delta"]
    assert heads["omega"] == f"MISSING omega: no image in {prefix}/<service>:latest"

    # Without a key the signature is not checked, but the subject still is.
    result = run(VERIFY, "registry", f"--repository={prefix}", f"--ca_file={pki.ca_cert}", f"--docker_config={docker}",
                 f"--expected={manifest}")
    assert "signature not checked (no --public_key), subject" in result.stdout

    # The explainer's registry references are pulled by the same client.
    image_source.pull_to_layout(f"docker://{prefix}/beta:latest", str(tmp_path / "beta_pulled"),
                                reader.Access(ca_file=pki.ca_cert, docker_config=docker))
    assert oci.resolve_image(oci.Layout.open(str(tmp_path / "beta_pulled"), "pulled")).manifest_descriptor.digest \
        == found["beta"]


def test_verify_registry_bad_input_is_one_line(tmp_path, registry, pki):  # noqa: F811
    manifest = tmp_path / "expected_hashes.json"
    manifest.write_text(json.dumps({"a": "sha256:" + "1" * 64}))
    result = run(VERIFY, "registry", f"--repository={registry.host}/x", f"--expected={manifest}")
    assert result.returncode == 1 and result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("verify: error: ") and "TLS certificate verification failed" in result.stderr
    assert "--ca_file" in result.stderr
