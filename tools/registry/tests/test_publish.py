"""End to end: the publish CLI against a real TLS registry with htpasswd auth (and a fault proxy)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time

import pytest

from tools.registry.tests import layouts, servers
from tools.registry.tests.conftest import REPO_ROOT, auth_entry, require, skopeo_raw, write_docker_config

CREDS = f"{servers.USER}:{servers.PASSWORD}"
_SUMMARY = re.compile(r"blobs: (\d+) uploaded \([^)]*\), (\d+) already present")


def summary(stderr: str) -> tuple[int, int]:
    m = _SUMMARY.search(stderr)
    assert m, stderr
    return int(m.group(1)), int(m.group(2))


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("image_publish: error: ")]
    assert len(error_lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]
    return error_lines[0]


def registry_json(registry: servers.Registry, path: str) -> dict:
    basic = base64.b64encode(CREDS.encode()).decode()
    status, _, body = registry.get(path, {"Authorization": "Basic " + basic})
    assert status == 200, body
    return json.loads(body)


def test_publish_by_digest_then_tags_matches_what_skopeo_reads(cli, registry, pki, docker_config, repo_name,
                                                                tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"), {"a.txt": b"A", "b.txt": b"B"})
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}",
                   "--tag", "v1", "--tag", "latest", "--ca_file", pki.ca_cert, docker_config=docker_config)
    assert proc.returncode == 0, proc.stderr
    expected = f"{registry.host}/{repo_name}@{layout['manifest_digest']}"
    assert proc.stdout == expected + "\n"  # exactly one line on stdout
    assert summary(proc.stderr) == (3, 0)
    for ref in (f"@{layout['manifest_digest']}", ":v1", ":latest"):
        remote = skopeo_raw(pki, f"{registry.host}/{repo_name}{ref}", creds=CREDS)
        assert remote == layout["manifest_bytes"], ref  # byte-exact, so the digests are equal
        assert "sha256:" + hashlib.sha256(remote).hexdigest() == layout["manifest_digest"]
    assert sorted(registry_json(registry, f"/v2/{repo_name}/tags/list")["tags"]) == ["latest", "v1"]
    # Ordering: the manifest was pushed by digest before any tag (the registry's access log is ordered).
    log = registry.log()
    by_digest = log.index(f"PUT /v2/{repo_name}/manifests/{layout['manifest_digest']}")
    assert by_digest < log.index(f"PUT /v2/{repo_name}/manifests/v1")
    assert by_digest < log.index(f"PUT /v2/{repo_name}/manifests/latest")


def test_second_publish_uploads_no_blobs(cli, registry, pki, proxy, proxy_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"), {"x": b"x", "y": b"y"})
    args = ("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--tag", "t", "--plain_http")
    first = cli.run(*args, docker_config=proxy_config)
    assert first.returncode == 0, first.stderr
    assert summary(first.stderr) == (3, 0)
    assert proxy.count("POST", "/blobs/uploads/") == 3
    proxy.reset()
    second = cli.run(*args, docker_config=proxy_config)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert summary(second.stderr) == (0, 3)
    assert proxy.count("HEAD", "/blobs/sha256:") == 3
    assert proxy.count("POST") == 0 and proxy.count("PATCH") == 0
    assert proxy.count("PUT", "/blobs/") == 0
    # The manifest and tag are still PUT (idempotent), so a moved tag is put back.
    assert proxy.count("PUT", "/manifests/") == 2


def test_wrong_password_fails_clearly_without_printing_secrets(cli, registry, pki, repo_name, tmp_path):
    wrong = "wr0ng-Pa55word-must-not-leak"
    config = write_docker_config(str(tmp_path / "docker"), {"auths": {registry.host: auth_entry(servers.USER,
                                                                                               wrong)}})
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}",
                   "--ca_file", pki.ca_cert, docker_config=config)
    line = assert_one_line_error(proc, f"push to {registry.host}/{repo_name} failed: authentication refused (401)",
                                 "user 'alice'", "check DOCKER_CONFIG/credentials", "config.json")
    encoded = auth_entry(servers.USER, wrong)["auth"]
    for secret in (wrong, encoded, servers.PASSWORD):
        assert secret not in proc.stderr + proc.stdout
    assert line.count("\n") == 0


def test_missing_credentials_says_how_to_log_in(cli, registry, pki, repo_name, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"), {"auths": {"other.example:5000": auth_entry("u", "p")}})
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}",
                   "--ca_file", pki.ca_cert, docker_config=config)
    assert_one_line_error(proc, "authentication required (401)", "no credentials", f"docker login {registry.host}")


@pytest.mark.parametrize("fault", [
    servers.Fault("PUT", "/blobs/uploads/", 500),
    servers.Fault("HEAD", "/blobs/sha256:", 429),
    servers.Fault("POST", "/blobs/uploads/", 503, times=2),
    servers.Fault("PUT", "/manifests/sha256:", 502),
    servers.Fault("POST", "/blobs/uploads/", 0),  # connection dropped without an answer
], ids=["blob-put-500", "head-429", "post-503-twice", "manifest-put-502", "post-dropped"])
def test_transient_failures_are_retried(cli, registry, pki, proxy, proxy_config, repo_name, tmp_path, fault):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proxy.faults.append(fault)
    proc = cli.run("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--tag", "ok",
                   "--plain_http", "--retry_base_delay", "0.05", docker_config=proxy_config)
    assert proc.returncode == 0, proc.stderr
    assert fault.times == 0  # the fault did fire
    if fault.status:
        assert "retrying" in proc.stderr
    assert skopeo_raw(pki, f"{registry.host}/{repo_name}:ok", creds=CREDS) == layout["manifest_bytes"]


def test_client_errors_are_not_retried(cli, registry, proxy, proxy_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    body = json.dumps({"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid"}]}).encode()
    proxy.faults.append(servers.Fault("PUT", "/manifests/", 400, times=100, body=body))
    proc = cli.run("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--plain_http",
                   "--retry_base_delay", "0.05", docker_config=proxy_config)
    assert_one_line_error(proc, "400", "MANIFEST_INVALID")
    assert proxy.count("PUT", "/manifests/") == 1


def test_retries_are_bounded(cli, registry, proxy, proxy_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proxy.faults.append(servers.Fault("POST", "/blobs/uploads/", 503, times=100))
    started = time.monotonic()
    proc = cli.run("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--plain_http",
                   "--retry_base_delay", "0.1", docker_config=proxy_config)
    assert_one_line_error(proc, "503", "gave up after 4 attempts")
    assert proxy.count("POST", "/blobs/uploads/") == 4
    secret = auth_entry(servers.USER, servers.PASSWORD)["auth"]
    assert servers.PASSWORD not in proc.stderr and secret not in proc.stderr  # valid credentials stay hidden too
    assert time.monotonic() - started >= 0.1 + 0.2 + 0.4  # exponential backoff between the attempts


def test_unknown_repository(cli, registry, proxy, proxy_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    body = json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]})
    proxy.faults.append(servers.Fault("POST", "/blobs/uploads/", 404, times=100, body=body.encode()))
    proc = cli.run("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--plain_http",
                   docker_config=proxy_config)
    assert_one_line_error(proc, f"repository {repo_name} not found on {proxy.host}", "check --repository")
    assert proxy.count("POST", "/blobs/uploads/") == 1


def _fetch_blob(registry: servers.Registry, repo: str, digest: str) -> bytes:
    basic = base64.b64encode(CREDS.encode()).decode()
    status, _, body = registry.get(f"/v2/{repo}/blobs/{digest}", {"Authorization": "Basic " + basic})
    assert status == 200
    return body


def test_chunked_upload(cli, registry, pki, proxy, proxy_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"), {"small": b"s"}, big_layer_size=300_000)
    big = layout["layer_digests"][-1]
    big_size = os.path.getsize(os.path.join(layout["root"], "blobs", "sha256", big[7:]))
    proc = cli.run("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--plain_http",
                   "--chunk_size", "64KiB", "--tag", "chunked", docker_config=proxy_config)
    assert proc.returncode == 0, proc.stderr
    assert proxy.count("PATCH", "/blobs/uploads/") == -(-big_size // 65536)  # ceil: only the big blob is chunked
    data = _fetch_blob(registry, repo_name, big)
    assert len(data) == big_size and "sha256:" + hashlib.sha256(data).hexdigest() == big
    assert skopeo_raw(pki, f"{registry.host}/{repo_name}:chunked", creds=CREDS) == layout["manifest_bytes"]


def test_plain_http_loopback_registry_with_relative_locations(cli, pki, tmp_path, repo_name):
    """Relative Location headers (relativeurls: true) carrying a query string, monolithic and chunked."""
    require("docker-registry")
    plain = servers.Registry(str(tmp_path / "plain"), pki, auth=None, tls=False, relative_urls=True)
    try:
        layout = layouts.make_layout(str(tmp_path / "layout"), {"f": b"f"}, big_layer_size=100_000)
        base = ("--layout", layout["root"], "--repository", f"{plain.host}/{repo_name}")
        refused = cli.run(*base)  # HTTPS to a plain-HTTP server: the hint says what to do
        assert_one_line_error(refused, "TLS handshake", "--plain_http")
        proc = cli.run(*base, "--plain_http", "--chunk_size", "32K", "--tag", "rel")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == f"{plain.host}/{repo_name}@{layout['manifest_digest']}\n"
        assert skopeo_raw(pki, f"{plain.host}/{repo_name}:rel", tls=False) == layout["manifest_bytes"]
        assert "PATCH /v2/" in plain.log()
    finally:
        plain.stop()


def test_default_tags_and_repository_are_replaced_by_user_values(cli, registry, pki, docker_config, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    default_repo, user_repo = "defaults/a", "defaults/b"
    rule_args = ("--layout", layout["root"], "--default_repository", f"{registry.host}/{default_repo}",
                 "--default_tag", "d1", "--default_tag", "d2", "--ca_file", pki.ca_cert)
    proc = cli.run(*rule_args, docker_config=docker_config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{registry.host}/{default_repo}@")
    assert sorted(registry_json(registry, f"/v2/{default_repo}/tags/list")["tags"]) == ["d1", "d2"]
    proc = cli.run(*rule_args, "--repository", f"{registry.host}/{user_repo}", "--tag", "u1",
                   docker_config=docker_config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{registry.host}/{user_repo}@")
    assert registry_json(registry, f"/v2/{user_repo}/tags/list")["tags"] == ["u1"]


def _write_helper(bin_dir: str, name: str, host: str, log: str) -> None:
    os.makedirs(bin_dir, exist_ok=True)
    path = os.path.join(bin_dir, "docker-credential-" + name)
    with open(path, "w") as f:
        f.write(f"""#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> '{log}'
if [ "$server" = '{host}' ]; then
  printf '{{"ServerURL":"%s","Username":"{servers.USER}","Secret":"{servers.PASSWORD}"}}' "$server"
else
  echo "credentials not found in native keychain"
  exit 1
fi
""")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.mark.parametrize("style", ["credHelpers", "credsStore"])
def test_credential_helper(cli, registry, pki, repo_name, tmp_path, style):
    bin_dir, log = str(tmp_path / "bin"), str(tmp_path / "helper.log")
    _write_helper(bin_dir, "test", registry.host, log)
    if style == "credHelpers":
        config = {"credHelpers": {registry.host: "test"}, "auths": {registry.host: auth_entry("alice", "stale")}}
    else:
        config = {"credsStore": "test", "auths": {registry.host: {}}}
    config_dir = write_docker_config(str(tmp_path / "docker"), config)
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}", "--ca_file",
                   pki.ca_cert, docker_config=config_dir, path_prefix=bin_dir)
    assert proc.returncode == 0, proc.stderr
    with open(log) as f:
        assert f.read().split() == [registry.host]  # asked once, with the server address on stdin
    assert servers.PASSWORD not in proc.stderr + proc.stdout


def test_umoci_built_layout(cli, registry, pki, docker_config, repo_name, tmp_path):
    if shutil.which("umoci") is None:
        pytest.skip("needs umoci on PATH (Debian package umoci)")
    root = str(tmp_path / "umoci")
    subprocess.run(["umoci", "init", "--layout", root], check=True, capture_output=True)
    subprocess.run(["umoci", "new", "--image", root + ":t"], check=True, capture_output=True)
    with open(os.path.join(root, "index.json")) as f:
        descriptor = json.load(f)["manifests"][0]
    with open(os.path.join(root, "blobs", "sha256", descriptor["digest"][7:]), "rb") as f:
        manifest = f.read()
    proc = cli.run("--layout", root, "--repository", f"{registry.host}/{repo_name}", "--tag", "t",
                   "--ca_file", pki.ca_cert, docker_config=docker_config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{registry.host}/{repo_name}@{descriptor['digest']}\n"
    assert skopeo_raw(pki, f"{registry.host}/{repo_name}:t", creds=CREDS) == manifest


def test_tls_verification_failure_suggests_ca_file(cli, registry, docker_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    started = time.monotonic()
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}",
                   docker_config=docker_config)
    assert_one_line_error(proc, "TLS certificate verification failed", "--ca_file")
    assert "retrying" not in proc.stderr  # not transient: fail at once
    assert time.monotonic() - started < 20


def test_plain_http_to_a_tls_registry_is_explained(cli, registry, docker_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}", "--plain_http",
                   docker_config=docker_config)
    assert_one_line_error(proc, "speaks HTTPS", "drop --plain_http")


def test_connection_refused(cli, docker_config, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    port = servers.free_port()
    proc = cli.run("--layout", layout["root"], "--repository", f"127.0.0.1:{port}/x", "--retry_base_delay", "0.01",
                   docker_config=docker_config)
    assert_one_line_error(proc, f"cannot connect to 127.0.0.1:{port}: connection refused", "gave up after 4")


def _non_loopback_ipv4() -> str | None:
    """An address of this machine that is not loopback, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_plain_http_needs_loopback_or_explicit_override(cli, pki, tmp_path, repo_name):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"192.0.2.1:5000/{repo_name}", "--plain_http")
    assert_one_line_error(proc, "refusing plain HTTP to 192.0.2.1", "--allow_insecure_http")
    require("docker-registry")
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("no non-loopback IPv4 address to exercise --allow_insecure_http against")
    plain = servers.Registry(str(tmp_path / "plain"), pki, auth=None, tls=False, bind=address)
    try:
        refused = cli.run("--layout", layout["root"], "--repository", f"{plain.host}/{repo_name}", "--plain_http")
        assert_one_line_error(refused, f"refusing plain HTTP to {address}")
        forced = cli.run("--layout", layout["root"], "--repository", f"{plain.host}/{repo_name}", "--plain_http",
                         "--allow_insecure_http")
        assert forced.returncode == 0, forced.stderr
        assert forced.stdout == f"{plain.host}/{repo_name}@{layout['manifest_digest']}\n"
    finally:
        plain.stop()


def test_bad_input_is_one_line(cli, tmp_path, registry):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"])
    assert_one_line_error(proc, "no repository", "--repository")
    proc = cli.run("--layout", layout["root"], "--repository", "team/app")
    assert_one_line_error(proc, "not a registry host")
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/x", "--tag", "-bad")
    assert_one_line_error(proc, "not a valid tag")
    manifest = os.path.join(layout["root"], "blobs", "sha256", layout["manifest_digest"][7:])
    os.chmod(manifest, 0o644)
    with open(manifest, "ab") as f:
        f.write(b" ")
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/x")
    assert_one_line_error(proc, manifest, "bytes but", "manifests[0] says")


def test_memory_does_not_grow_with_blob_size(cli, registry, pki, docker_config, repo_name, tmp_path):
    """A 96 MiB blob, monolithic (chunk size above it) and chunked: peak RSS stays far below it."""
    size = 96 << 20
    layout = layouts.make_layout(str(tmp_path / "layout"), {}, big_layer_size=size, seed=repo_name.encode())
    for chunk, repo in (("1GiB", repo_name + "-mono"), ("32MiB", repo_name + "-chunked")):
        args = [sys.executable, "-m", "tools.registry.image_publish", "--layout", layout["root"], "--repository",
                f"{registry.host}/{repo}", "--ca_file", pki.ca_cert, "--chunk_size", chunk]
        proc = subprocess.Popen(args, cwd=REPO_ROOT, env=cli.env(docker_config), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = proc.stdout.read().decode(), proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
        assert proc.returncode == 0, stderr
        assert stdout == f"{registry.host}/{repo}@{layout['manifest_digest']}\n"
        peak = usage.ru_maxrss * 1024  # kilobytes on Linux
        assert peak < 64 << 20, f"peak RSS {peak >> 20} MiB while pushing a {size >> 20} MiB blob ({chunk})"


def test_corrupt_blob_is_reported_as_a_layout_problem(cli, registry, pki, docker_config, repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"))
    layer = os.path.join(layout["root"], "blobs", "sha256", layout["layer_digests"][0][7:])
    size = os.path.getsize(layer)
    with open(layer, "wb") as f:
        f.write(b"\xff" * size)  # same size, so only the registry's digest check can notice
    proc = cli.run("--layout", layout["root"], "--repository", f"{registry.host}/{repo_name}",
                   "--ca_file", pki.ca_cert, docker_config=docker_config)
    assert_one_line_error(proc, f"different digest for the bytes of {layout['layer_digests'][0]}",
                          "layout is corrupt")
    assert "retrying" not in proc.stderr
