"""`bazel run //shuffler/services/taskbuilder:task_builder_image_publish` (and `//:publish_all`)
against a real registry: docker-registry on 127.0.0.1 with htpasswd auth and a self-signed TLS
certificate, credentials from a docker config file, the result checked with skopeo; a publish
killed halfway through a layer and run again. `//:publish_all` attaches every service's SBOM and
signed provenance as referrers; `//tools/verify -- registry` then reports MATCH for all seven,
MISMATCH explained for a planted wrong digest and for collector rebuilt with one changed class."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
import urllib.parse

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from e2e.publish.changed_class import rebuild_with_one_changed_class
from tools.common import oci
from tools.evidence import dsse
from tools.registry import referrers
from tools.registry.client import RegistryClient
from tools.registry.docker_config import Credentials
from tools.registry.layout import read_layout
from tools.registry.publish import publish
from tools.registry.reference import parse_repository
from tools.registry.tests import servers
from tools.registry.tests.conftest import auth_entry, require, skopeo_raw, write_docker_config
from tools.registry.transport import Transport, TransportOptions

PUBLISH = "shuffler/services/taskbuilder/task_builder_image_publish"
PUBLISH_ALL = "publish_all"
VERIFY = "tools/verify/verify"
BUILT = "shuffler/services"  # the built layouts, shuffler/services/<package>/<service>_image
LAYOUT = "shuffler/services/taskbuilder/task_builder_image"
DIGEST_FILE = "shuffler/services/taskbuilder/task_builder_image.digest"
_SUMMARY = re.compile(r"blobs: (\d+) uploaded \([^)]*\), (\d+) already present")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    require("openssl")
    return servers.make_pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def registry(pki, tmp_path_factory):
    require("docker-registry", "htpasswd", "skopeo")
    directory = str(tmp_path_factory.mktemp("registry"))
    r = servers.Registry(directory, pki, auth=servers.htpasswd_auth(directory))
    yield r
    r.stop()


def _env(docker_config: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("TEST_TMPDIR", "/tmp"),
        "RUNFILES_DIR": os.environ["TEST_SRCDIR"],
        "DOCKER_CONFIG": docker_config,
    }


def _publish(registry, pki, docker_config: str, *extra: str) -> subprocess.CompletedProcess:
    args = [PUBLISH, "--repository", f"{registry.host}/fcp/task_builder", "--ca_file", pki.ca_cert, *extra]
    return subprocess.run(args, env=_env(docker_config), capture_output=True, text=True, timeout=300)


def _local_digest() -> str:
    with open(DIGEST_FILE, encoding="ascii") as f:
        return f.read().strip()


def test_publish_by_digest_then_tags_and_skip_existing_blobs(registry, pki, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"), {"auths": {
        registry.host: auth_entry(servers.USER, servers.PASSWORD)}})
    first = _publish(registry, pki, config, "--tag", "v1", "--tag", "release")
    assert first.returncode == 0, first.stderr
    digest = _local_digest()
    assert first.stdout == f"{registry.host}/fcp/task_builder@{digest}\n"
    uploaded, present = map(int, _SUMMARY.search(first.stderr).groups())
    assert (uploaded, present) == (5, 0), first.stderr  # 4 layers and the config, all new

    creds = f"{servers.USER}:{servers.PASSWORD}"
    for reference in (f"@{digest}", ":v1", ":release"):
        raw = skopeo_raw(pki, f"{registry.host}/fcp/task_builder{reference}", creds=creds)
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest, reference

    second = _publish(registry, pki, config)
    assert second.returncode == 0, second.stderr
    assert _SUMMARY.search(second.stderr).groups() == ("0", "5"), second.stderr
    # The BUILD file's default tag applies when none is given on the command line.
    raw = skopeo_raw(pki, f"{registry.host}/fcp/task_builder:latest", creds=creds)
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest


def test_wrong_credentials_fail_in_one_line_without_the_password(registry, pki, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"), {"auths": {
        registry.host: auth_entry(servers.USER, "wrong-password-xyz")}})
    result = _publish(registry, pki, config)
    assert result.returncode == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "authentication refused (401)" in errors[0], result.stderr
    assert "wrong-password-xyz" not in result.stderr and "Traceback" not in result.stderr


def test_publish_all_sends_every_service_once_per_blob(registry, pki, tmp_path):
    """All services to one registry in one run: every blob goes up once, the ones the images share
    (the Java base, the JNI runtime) are mounted into the other repositories."""
    config = write_docker_config(str(tmp_path / "docker"), {"auths": {
        registry.host: auth_entry(servers.USER, servers.PASSWORD)}})
    with open(PUBLISH_ALL + ".publish.json", encoding="utf-8") as f:
        images = json.load(f)["images"]
    with open("image_hashes.json", encoding="ascii") as f:
        digests = json.load(f)
    blobs: dict[str, list[str]] = {}  # digest -> repositories whose image has it
    for image in images:
        for blob in read_layout(os.path.join(os.environ["TEST_SRCDIR"], image["layout"])).blobs:
            blobs.setdefault(blob.digest, []).append(image["repository"].split("/", 1)[1])
    key = ed25519.Ed25519PrivateKey.generate()
    key_file, public_file = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    public_file.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    result = subprocess.run([PUBLISH_ALL, "--registry", registry.host, "--tag", "all", "--ca_file", pki.ca_cert,
                             "--sign_key", str(key_file)],
                            env=_env(config), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    # Each BUILD file's repository (localhost:5000/fcp/<service>), moved to the test registry.
    assert result.stdout.splitlines() == [f"{registry.host}/fcp/{name}@{digests[name]}" for name in sorted(digests)]
    log = registry.log()
    shared = {digest: repos for digest, repos in blobs.items() if len(repos) > 1}
    assert shared  # the services do share layers: the test would prove nothing otherwise
    for digest, repos in blobs.items():
        quoted = urllib.parse.quote(digest, safe="")
        uploads = re.findall(rf'"PUT /v2/fcp/\w+/blobs/uploads/[^"]*digest={quoted}[^"]*" 201', log)
        mounts = re.findall(rf'"POST /v2/fcp/\w+/blobs/uploads/\?[^"]*mount={quoted}[^"]*" 201', log)
        assert (len(uploads), len(mounts)) == (1, len(repos) - 1), (digest, repos)
    for name in sorted(digests):
        raw = skopeo_raw(pki, f"{registry.host}/fcp/{name}:all", creds=f"{servers.USER}:{servers.PASSWORD}")
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == digests[name], name
    _evidence_found_again_from_each_digest(registry, pki, images, digests, tmp_path)
    _verify_registry(registry, pki, config, public_file, digests, tmp_path)


def _client(registry, pki, path: str, push: bool = False) -> RegistryClient:
    return RegistryClient(parse_repository(f"{registry.host}/{path}"), Transport(TransportOptions(ca_file=pki.ca_cert)),
                          Credentials(servers.USER, servers.PASSWORD), push=push, log=lambda message: None)


def _evidence_found_again_from_each_digest(registry, pki, images, digests, tmp_path) -> None:
    """Each image's referrers, found from its digest alone, are its SBOM byte for byte and its
    provenance, signed, about that digest."""
    for image in images:
        name = image["repository"].rsplit("/", 1)[1]
        client = _client(registry, pki, f"fcp/{name}")
        client.ping()
        found = {r.artifact_type: r for r in referrers.list_referrers(client, digests[name])}
        assert set(found) == {referrers.SBOM_ARTIFACT_TYPE, referrers.PROVENANCE_ARTIFACT_TYPE}, name
        sbom = referrers.fetch_artifact(client, found[referrers.SBOM_ARTIFACT_TYPE].digest, str(tmp_path))
        with open(os.path.join(os.environ["TEST_SRCDIR"], image["sbom"]), "rb") as f:
            assert sbom.data == f.read() and sbom.subject == digests[name], name
        provenance = referrers.fetch_artifact(client, found[referrers.PROVENANCE_ARTIFACT_TYPE].digest, str(tmp_path))
        envelope = json.loads(provenance.data)
        assert len(envelope["signatures"]) == 1 and provenance.subject == digests[name], name


def _verify(registry, pki, config, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([VERIFY, "registry", f"--ca_file={pki.ca_cert}", f"--docker_config={config}",
                           f"--built={BUILT}", *args], env=_env(config), capture_output=True, text=True, timeout=600)


def _verify_registry(registry, pki, config, public_file, digests, tmp_path) -> None:
    started = time.monotonic()
    result = _verify(registry, pki, config, f"--repository={registry.host}/fcp", "--tag=all",
                     f"--public_key={public_file}", "--expected=image_hashes.json")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"MATCH {name} {digests[name]}" for name in sorted(digests)]
    key_id = dsse.keyid(dsse.load_public_key(str(public_file)))
    for line, name in zip(lines, sorted(digests)):
        assert f"signed by key {key_id}, subject {digests[name]} (found by the tag sha256-" in line, line
    print(f"verify registry, seven MATCH: {time.monotonic() - started:.1f}s")

    # A copy of the manifest with one planted wrong digest: the image is what the build makes.
    planted = dict(digests, task_builder="sha256:" + "0" * 64)
    planted_file = tmp_path / "planted_hashes.json"
    planted_file.write_text(json.dumps(planted))
    result = _verify(registry, pki, config, f"--repository={registry.host}/fcp", "--tag=all",
                     f"--expected={planted_file}")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("MISMATCH task_builder: ")))
    assert lines[at] == (f"MISMATCH task_builder: {digests['task_builder']} in {registry.host}/fcp/<service>:all, "
                         f"expected {planted['task_builder']} ({planted_file})")
    assert "the image is exactly what the local build" in lines[at + 1]
    assert f"the expected digest {planted['task_builder']} in {planted_file} is not" in lines[at + 1]
    assert sum(line.startswith("MATCH ") for line in lines) == 6

    # Collector "rebuilt with one changed class", published under another prefix.
    started = time.monotonic()
    collector = next(os.path.join(BUILT, d, "collector_image") for d in os.listdir(BUILT)
                     if os.path.isdir(os.path.join(BUILT, d, "collector_image")))
    changed = rebuild_with_one_changed_class(collector, str(tmp_path / "changed"))
    client = _client(registry, pki, "changed/collector", push=True)
    publish(read_layout(changed.layout), client, ["all"], lambda message: None, mount_from=["fcp/collector"])
    only_collector = tmp_path / "collector_hashes.json"
    only_collector.write_text(json.dumps({"collector": digests["collector"]}))
    result = _verify(registry, pki, config, f"--repository={registry.host}/changed", "--tag=all",
                     f"--expected={only_collector}")
    assert result.returncode == 1
    head, *why = result.stdout.splitlines()
    assert head == (f"MISMATCH collector: {changed.digest} in {registry.host}/changed/<service>:all, expected "
                    f"{digests['collector']} ({only_collector})")
    text = "\n".join(why)
    assert f"first differing entry (in path order): {changed.jar}" in text, text
    assert f"inside {changed.jar} (jar): first differing entry {changed.entry}" in text, text
    assert f"class {changed.class_name}" in text, text
    print(f"changed class built, pushed, verified and explained: {time.monotonic() - started:.1f}s\n{result.stdout}")


def _largest_layer() -> tuple[str, int]:
    with open(os.path.join(LAYOUT, "blobs", "sha256", _local_digest()[7:]), "rb") as f:
        layers = json.load(f)["layers"]
    largest = max(layers, key=lambda layer: layer["size"])
    return largest["digest"], largest["size"]


def test_a_publish_killed_in_the_largest_layer_resumes_with_the_missing_blobs(registry, pki, tmp_path):
    proxy = servers.FaultProxy(registry)
    try:
        config = write_docker_config(str(tmp_path / "docker"), {"auths": {
            proxy.host: auth_entry(servers.USER, servers.PASSWORD)}})
        digest, size = _largest_layer()
        args = [PUBLISH, "--repository", f"{proxy.host}/fcp/resumed", "--plain_http", "--tag", "resumed"]
        running = []
        proxy.faults.append(servers.Fault("PUT", "digest=" + urllib.parse.quote(digest, safe=""),
                                          reset_after=size // 2, forward=True, action=lambda: running[0].kill()))
        publisher = subprocess.Popen(args, env=_env(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running.append(publisher)
        _, stderr = publisher.communicate(timeout=300)
        assert publisher.returncode == -9, stderr  # SIGKILL, halfway through the layer's body
        done_before = proxy.count("PUT", "/blobs/uploads/") - 1
        assert proxy.count("PUT", "/manifests/") == 0
        proxy.reset()

        again = subprocess.run(args, env=_env(config), capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert again.stdout == f"{proxy.host}/fcp/resumed@{_local_digest()}\n"
        uploaded, present = map(int, _SUMMARY.search(again.stderr).groups())
        assert (uploaded, present) == (5 - done_before, done_before), again.stderr
        assert proxy.count("PUT", "digest=" + urllib.parse.quote(digest, safe="")) == 1
        raw = skopeo_raw(pki, f"{registry.host}/fcp/resumed:resumed", creds=f"{servers.USER}:{servers.PASSWORD}")
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == _local_digest()
    finally:
        proxy.stop()
