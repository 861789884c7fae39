"""`bazel run //shuffler/services/taskbuilder:task_builder_image_publish` against a real registry:
docker-registry on 127.0.0.1 with htpasswd auth and a self-signed TLS certificate, credentials
from a docker config file, the result checked with skopeo."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest

from tools.registry.tests import servers
from tools.registry.tests.conftest import auth_entry, require, skopeo_raw, write_docker_config

PUBLISH = "shuffler/services/taskbuilder/task_builder_image_publish"
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


def _publish(registry, pki, docker_config: str, *extra: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("TEST_TMPDIR", "/tmp"),
        "RUNFILES_DIR": os.environ["TEST_SRCDIR"],
        "DOCKER_CONFIG": docker_config,
    }
    args = [PUBLISH, "--repository", f"{registry.host}/fcp/task_builder", "--ca_file", pki.ca_cert, *extra]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


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
