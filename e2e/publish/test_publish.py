"""`bazel run //shuffler/services/taskbuilder:task_builder_image_publish` (and `//:publish_all`)
against a real registry: docker-registry on 127.0.0.1 with htpasswd auth and a self-signed TLS
certificate, credentials from a docker config file, the result checked with skopeo; a publish
killed halfway through a layer and run again."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import urllib.parse

import pytest

from tools.registry.layout import read_layout
from tools.registry.tests import servers
from tools.registry.tests.conftest import auth_entry, require, skopeo_raw, write_docker_config

PUBLISH = "shuffler/services/taskbuilder/task_builder_image_publish"
PUBLISH_ALL = "publish_all"
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
    result = subprocess.run([PUBLISH_ALL, "--registry", registry.host, "--tag", "all", "--ca_file", pki.ca_cert],
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
