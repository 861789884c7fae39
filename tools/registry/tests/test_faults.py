"""Network faults between the publisher and a real docker-registry, injected by the fault proxy:
connections reset in the middle of a request body, rate limits with Retry-After, 503s, a
registry restarted between two blobs. Every push must complete with the local digest, and a
fault that never goes away must end in one line, with each body sent at most once per attempt."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import urllib.parse

import pytest

from tools.registry.tests import layouts, servers
from tools.registry.tests.conftest import auth_entry, require, skopeo_raw, write_docker_config
from tools.registry.tests.test_publish import assert_one_line_error

CREDS = f"{servers.USER}:{servers.PASSWORD}"
BIG = 17 << 20  # the size of task_builder's largest layer


@pytest.fixture(scope="module")
def big_layout(tmp_path_factory):
    """A small layer, a 17 MiB one, and the config: uploaded in that order."""
    root = str(tmp_path_factory.mktemp("big") / "layout")
    layout = layouts.make_layout(root, {"small.txt": b"small"}, big_layer_size=BIG, seed=b"faults")
    big = layout["layer_digests"][-1]
    layout["big"] = big
    layout["big_size"] = os.path.getsize(os.path.join(root, "blobs", "sha256", big[7:]))
    return layout


def _push(cli, proxy, config, layout, repo, *extra):
    return cli.run("--layout", layout["root"], "--repository", f"{proxy.host}/{repo}", "--tag", "ok",
                   "--plain_http", "--retry_base_delay", "0.05", *extra, docker_config=config)


def _assert_published(pki, registry, repo, layout) -> None:
    """skopeo reads the pushed manifest by tag, and its digest is the local one."""
    remote = skopeo_raw(pki, f"{registry.host}/{repo}:ok", creds=CREDS)
    assert "sha256:" + hashlib.sha256(remote).hexdigest() == layout["manifest_digest"]


def _session(path: str) -> str:
    """The upload session a PATCH or PUT belongs to: its /blobs/uploads/<id> path."""
    return urllib.parse.urlsplit(path).path


def _uploads_of(proxy, digest: str) -> list[servers.Seen]:
    """The final PUTs of `digest`'s upload sessions, in order."""
    return proxy.matching("PUT", "digest=" + urllib.parse.quote(digest, safe=""))


@pytest.mark.parametrize("connection", ["reused", "fresh"])
def test_reset_in_the_middle_of_the_largest_blob(cli, registry, pki, proxy, proxy_config, repo_name, big_layout,
                                                 connection):
    half = big_layout["big_size"] // 2
    quoted = urllib.parse.quote(big_layout["big"], safe="")
    if connection == "fresh":
        # The proxy ends the connection after the big blob's POST, so its PUT opens a new one.
        proxy.faults.append(servers.Fault("POST", "/blobs/uploads/", skip=1, forward=True, close=True))
    proxy.faults.append(servers.Fault("PUT", "digest=" + quoted, reset_after=half, forward=True))
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{proxy.host}/{repo_name}@{big_layout['manifest_digest']}\n"
    first, second = _uploads_of(proxy, big_layout["big"])
    assert first.fault and first.status == 0 and first.body_bytes == half
    assert (first.request_on_connection == 1) == (connection == "fresh"), first
    # The failed session is abandoned: the body goes again, whole, in a new session, once.
    assert _session(first.path) != _session(second.path)
    assert second.body_bytes == big_layout["big_size"] and second.status == 201
    assert "retrying uploading blob " + big_layout["big"] in proc.stderr
    _assert_published(pki, registry, repo_name, big_layout)


def test_reset_in_the_middle_of_a_chunk(cli, registry, pki, proxy, proxy_config, repo_name, big_layout):
    chunk = 4 << 20
    # The third PATCH of the big blob (the small layer is smaller than one chunk, so it is PUT whole).
    proxy.faults.append(servers.Fault("PATCH", "/blobs/uploads/", skip=2, reset_after=chunk // 3, forward=True))
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name, "--chunk_size", "4MiB")
    assert proc.returncode == 0, proc.stderr
    patches = proxy.matching("PATCH", "/blobs/uploads/")
    chunks = -(-big_layout["big_size"] // chunk)
    assert len(patches) == 3 + chunks  # two chunks and a third cut short, then all of them in a new session
    assert patches[2].fault and patches[2].body_bytes == chunk // 3
    assert {_session(p.path) for p in patches[:3]} != {_session(p.path) for p in patches[3:]}
    assert len({_session(p.path) for p in patches[3:]}) == 1
    assert [p.body_bytes for p in patches[3:-1]] == [chunk] * (chunks - 1)
    assert sum(p.body_bytes for p in patches[3:]) == big_layout["big_size"]
    _assert_published(pki, registry, repo_name, big_layout)


def test_a_reset_on_every_attempt_ends_in_one_line_with_one_body_per_attempt(cli, registry, proxy, proxy_config,
                                                                           repo_name, big_layout):
    half = big_layout["big_size"] // 2
    quoted = urllib.parse.quote(big_layout["big"], safe="")
    proxy.faults.append(servers.Fault("PUT", "digest=" + quoted, reset_after=half, times=100, forward=True))
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name, "--max_attempts", "3")
    line = assert_one_line_error(proc, f"push to {proxy.host}/{repo_name} failed", "uploading blob "
                                 + big_layout["big"], "gave up after 3 attempts")
    assert "lost while sending" in line, line
    attempts = _uploads_of(proxy, big_layout["big"])
    assert len(attempts) == 3  # one PUT per attempt: the body is never resent within an attempt
    assert len({_session(a.path) for a in attempts}) == 3  # each attempt in a session of its own
    assert [a.body_bytes for a in attempts] == [half] * 3
    assert proxy.count("POST", "/blobs/uploads/") == 1 + 3  # the small layer's session, then one per attempt
    assert proxy.count("PUT", "/manifests/") == 0


def test_429_with_retry_after_is_honoured(cli, registry, pki, proxy, proxy_config, repo_name, big_layout):
    digest = big_layout["big"]
    proxy.faults.append(servers.Fault("HEAD", "/blobs/" + digest, 429, headers={"Retry-After": "1"}))
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name)
    assert proc.returncode == 0, proc.stderr
    limited, retried = proxy.matching("HEAD", "/blobs/" + digest)
    assert limited.status == 429 and retried.status == 404
    assert retried.started - limited.started >= 1.0  # not the 0.05 s backoff
    assert re.search(rf"retrying checking blob {digest} in 1s \(the registry asked for 1s with Retry-After\)",
                     proc.stderr), proc.stderr
    _assert_published(pki, registry, repo_name, big_layout)


def test_retry_after_is_capped(cli, registry, proxy, proxy_config, repo_name, big_layout):
    proxy.faults.append(servers.Fault("POST", "/blobs/uploads/", 503, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name, "--max_retry_delay", "0.5")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 30
    assert "the registry asked for 3600s with Retry-After; waiting at most --max_retry_delay=0.5s" in proc.stderr


def test_503_on_head(cli, registry, pki, proxy, proxy_config, repo_name, big_layout):
    proxy.faults.append(servers.Fault("HEAD", "/blobs/sha256:", 503, times=2))
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name)
    assert proc.returncode == 0, proc.stderr
    assert [s.status for s in proxy.matching("HEAD")[:3]] == [503, 503, 404]
    _assert_published(pki, registry, repo_name, big_layout)


def test_reset_during_the_manifest_put(cli, registry, pki, proxy, proxy_config, repo_name, big_layout):
    proxy.faults.append(servers.Fault("PUT", "/manifests/sha256:", reset_after=100, forward=True))
    proc = _push(cli, proxy, proxy_config, big_layout, repo_name)
    assert proc.returncode == 0, proc.stderr
    reset, stored = proxy.matching("PUT", "/manifests/sha256:")
    assert (reset.status, reset.body_bytes) == (0, 100)
    assert stored.status == 201 and stored.body_bytes == len(big_layout["manifest_bytes"])
    _assert_published(pki, registry, repo_name, big_layout)


def test_registry_restarted_between_two_blobs(cli, pki, repo_name, big_layout, tmp_path):
    require("docker-registry", "htpasswd")
    directory = str(tmp_path / "restarted")
    registry = servers.Registry(directory, pki, auth=servers.htpasswd_auth(directory))
    proxy = servers.FaultProxy(registry)
    try:
        config = write_docker_config(str(tmp_path / "docker"), {"auths": {
            proxy.host: auth_entry(servers.USER, servers.PASSWORD)}})

        def restart() -> None:
            registry.stop()
            threading.Timer(1.0, registry.start).start()  # down for a second, then back on the same port

        # After the first blob is stored, before the second is looked at.
        proxy.faults.append(servers.Fault("HEAD", "/blobs/" + big_layout["big"], forward=True, action=restart))
        proc = _push(cli, proxy, config, big_layout, repo_name, "--retry_base_delay", "0.5", "--max_attempts", "6")
        assert proc.returncode == 0, proc.stderr
        assert any(s.status == 502 for s in proxy.matching("HEAD", big_layout["big"]))
        assert registry.log().count("listening on") == 2
        _assert_published(pki, registry, repo_name, big_layout)
    finally:
        proxy.stop()
        registry.stop()


def test_a_publish_killed_mid_upload_resumes_with_only_the_missing_blobs(cli, registry, pki, proxy, proxy_config,
                                                                      repo_name, tmp_path):
    layout = layouts.make_layout(str(tmp_path / "layout"), {"one.txt": b"1", "two.txt": b"2"}, big_layer_size=BIG,
                                 seed=repo_name.encode())
    big, config_digest = layout["layer_digests"][-1], layout["config_digest"]
    args = ("--layout", layout["root"], "--repository", f"{proxy.host}/{repo_name}", "--tag", "ok", "--plain_http")
    running = []
    # SIGKILL halfway through the big blob's body: the two small layers are stored by then.
    proxy.faults.append(servers.Fault("PUT", "digest=" + urllib.parse.quote(big, safe=""), reset_after=BIG // 2,
                                      forward=True, action=lambda: running[0].kill()))
    publisher = cli.start(*args, docker_config=proxy_config)
    running.append(publisher)
    _, stderr = publisher.communicate(timeout=120)
    assert publisher.returncode == -9, stderr
    assert f"uploading {big}" in stderr and "blobs:" not in stderr
    assert proxy.count("PUT", "/manifests/") == 0
    proxy.reset()

    again = cli.run(*args, docker_config=proxy_config)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{proxy.host}/{repo_name}@{layout['manifest_digest']}\n"
    assert "blobs: 2 uploaded (17.0 MiB), 2 already present" in again.stderr
    stored = [urllib.parse.parse_qs(urllib.parse.urlsplit(s.path).query)["digest"][0]
              for s in proxy.matching("PUT", "/blobs/uploads/")]
    assert stored == [big, config_digest]  # the small layers are not sent again
    _assert_published(pki, registry, repo_name, layout)
