"""Blobs shared between images are uploaded once per registry: an image pushed after another one
(in the same run, or with --mount_from) has them mounted from the first one's repository."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from tools.registry.tests import layouts
from tools.registry.tests.conftest import skopeo_raw
from tools.registry.tests.test_faults import BIG, _assert_published, _uploads_of
from tools.registry.tests.test_publish import CREDS, assert_one_line_error, summary

_MOUNTED = re.compile(r"blobs: \d+ uploaded \([^)]*\), \d+ already present, (\d+) mounted from other repositories")
_SENT = re.compile(r"(\S+ \S+) of request bodies sent")


@pytest.fixture(scope="module")
def two_images(tmp_path_factory):
    """Two layouts sharing a base (a small layer and a 17 MiB one, as the Java services share the
    Java runtime); the second adds an application layer."""
    root = tmp_path_factory.mktemp("shared")
    base = {"base.txt": b"the shared base"}
    a = layouts.make_layout(str(root / "a"), base, big_layer_size=BIG, seed=b"shared")
    b = layouts.make_layout(str(root / "b"), {**base, "app.txt": b"b's application"}, big_layer_size=BIG,
                            seed=b"shared")
    shared = set(a["layer_digests"]) & set(b["layer_digests"])
    assert len(shared) == 2 and a["manifest_digest"] != b["manifest_digest"]
    return a, b, sorted(shared)


def _write_set(path, entries) -> str:
    path.write_text(json.dumps({"images": entries}))
    return str(path)


def mounted(stderr: str) -> list[int]:
    return [int(n) for n in _MOUNTED.findall(stderr)]


def test_a_set_uploads_each_shared_blob_once(cli, registry, pki, proxy, proxy_config, repo_name, two_images,
                                             tmp_path):
    a, b, shared = two_images
    repo_a, repo_b = repo_name + "/a", repo_name + "/b"
    spec = _write_set(tmp_path / "set.json", [
        {"layout": "a", "repository": f"{proxy.host}/{repo_a}", "tags": ["ok"]},
        {"layout": "b", "repository": f"{proxy.host}/{repo_b}", "tags": ["ok"]},
    ])
    proc = cli.run("--set", spec, "--set_base", str(tmp_path.parent / "shared0"), "--plain_http",
                   docker_config=proxy_config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (f"{proxy.host}/{repo_a}@{a['manifest_digest']}\n"
                           f"{proxy.host}/{repo_b}@{b['manifest_digest']}\n")
    assert mounted(proc.stderr) == [0, 2]
    for digest in shared:
        assert len(_uploads_of(proxy, digest)) == 1  # the client's view
        [mount] = proxy.matching("POST", "mount=" + urllib.parse.quote(digest, safe=""))
        assert mount.status == 201 and f"/v2/{repo_b}/" in mount.path
        assert "from=" + urllib.parse.quote(repo_a, safe="") in mount.path
    # The registry's view: its access log has one upload of the big blob, and the mount.
    log = registry.log()
    big = urllib.parse.quote(a["layer_digests"][-1], safe="")
    assert len(re.findall(rf'"PUT /v2/{re.escape(repo_name)}/[ab]/blobs/uploads/[^"]*digest={big}', log)) == 1
    assert re.search(rf'"POST /v2/{re.escape(repo_b)}/blobs/uploads/\?[^"]*mount={big}[^"]*" 201', log)
    sent = _SENT.search(proc.stderr).group(1)
    assert sent.endswith("MiB") and float(sent.split()[0]) < 18, sent  # one 17 MiB base, not two
    _assert_published(pki, registry, repo_a, a)
    _assert_published(pki, registry, repo_b, b)


def test_separate_runs_upload_shared_blobs_again_unless_told_where_they_are(cli, registry, pki, proxy, proxy_config,
                                                                            repo_name, two_images):
    a, b, shared = two_images
    run = lambda layout, repo, *extra: cli.run(  # noqa: E731
        "--layout", layout["root"], "--repository", f"{proxy.host}/{repo}", "--tag", "ok", "--plain_http", *extra,
        docker_config=proxy_config)
    first = run(a, repo_name + "/a")
    assert first.returncode == 0, first.stderr
    # Without a hint the registry is not asked: b's copy of the base goes up again.
    alone = run(b, repo_name + "/alone")
    assert alone.returncode == 0, alone.stderr
    assert summary(alone.stderr) == (4, 0) and mounted(alone.stderr) == [0]
    # Candidates are tried in order: one that never saw the blobs, then a's repository.
    hinted = run(b, repo_name + "/b", "--mount_from", f"{proxy.host}/{repo_name}/never",
                 "--mount_from", f"{proxy.host}/{repo_name}/a")
    assert hinted.returncode == 0, hinted.stderr
    assert summary(hinted.stderr) == (2, 0) and mounted(hinted.stderr) == [2], hinted.stderr
    for digest in shared:
        assert re.search(rf"mounting {digest} \([^)]*\) from {re.escape(repo_name)}/a\n", hinted.stderr)
        assert proxy.count("HEAD", f"/v2/{repo_name}/never/blobs/{digest}") == 1
        assert len(_uploads_of(proxy, digest)) == 2  # a's and alone's, none for b
    _assert_published(pki, registry, repo_name + "/b", b)


def test_registry_override_moves_every_repository(cli, registry, pki, proxy, proxy_config, repo_name, two_images,
                                                 tmp_path):
    a, b, _ = two_images
    spec = _write_set(tmp_path / "set.json", [
        {"layout": a["root"], "repository": f"registry.example.com/{repo_name}/a", "tags": ["d"]},
        {"layout": b["root"], "repository": f"registry.example.com/{repo_name}/b", "tags": ["d"],
         "mount_from": [f"registry.example.com/{repo_name}/a"]},
    ])
    proc = cli.run("--set", spec, "--registry", proxy.host, "--tag", "ok", "--plain_http", docker_config=proxy_config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{proxy.host}/{repo_name}/a@{a['manifest_digest']}",
                                        f"{proxy.host}/{repo_name}/b@{b['manifest_digest']}"]
    assert proxy.count("PUT", "/manifests/d") == 0 and proxy.count("PUT", "/manifests/ok") == 2
    single = cli.run("--layout", a["root"], "--default_repository", f"registry.example.com/{repo_name}/c",
                     "--registry", proxy.host, "--plain_http", docker_config=proxy_config)
    assert single.returncode == 0, single.stderr
    assert single.stdout == f"{proxy.host}/{repo_name}/c@{a['manifest_digest']}\n"
    assert mounted(single.stderr) == [0]  # a run of its own knows nothing of the set's pushes


@pytest.mark.parametrize("content, args, fragments", [
    (None, ["--set", "{tmp}/missing.json"], ["publish set", "missing.json"]),
    ("{", ["--set", "{tmp}/set.json"], ["set.json", "line 1"]),
    ('{"images": []}', ["--set", "{tmp}/set.json"], ["at least one image"]),
    ('{"images": [{"layout": "x"}]}', ["--set", "{tmp}/set.json"], ["images[0]", "needs a \"layout\" and a"]),
    ('{"images": [{"layout": "x", "repository": "r.example/a", "tag": ["v"]}]}', ["--set", "{tmp}/set.json"],
     ["images[0]", "unknown key 'tag'"]),
    ('{"images": [{"layout": "x", "repository": "r.example/a"}, {"layout": "y", "repository": "r.example/a"}]}',
     ["--set", "{tmp}/set.json"], ["images[1]", "r.example/a is also the repository of images[0]"]),
    ('{"images": [{"layout": "x", "repository": "r.example/a"}]}', ["--set", "{tmp}/set.json", "--layout", "x"],
     ["drop --layout and --repository"]),
    (None, ["--layout", "{tmp}", "--repository", ""], ["--repository is empty", "leave the flag out"]),
    (None, ["--layout", "{tmp}", "--repository", "  "], ["--repository is empty"]),
    (None, ["--layout", "{tmp}", "--default_repository", "r.example/a", "--registry", "r.example/x"],
     ["--registry='r.example/x'", "without a path"]),
    (None, ["--layout", "{tmp}", "--default_repository", "r.example/a", "--registry", ""], ["--registry=''"]),
    (None, ["--layout", "{tmp}", "--repository", "r.example/a", "--registry", "q.example"],
     ["either --repository", "or --registry"]),
    (None, ["--layout", "{tmp}", "--repository", "r.example/a", "--mount_from", "q.example/b"],
     ["--mount_from='q.example/b' is on q.example", "within one registry"]),
], ids=["set-missing", "set-syntax", "set-empty", "set-no-repository", "set-unknown-key", "set-same-repository",
        "set-and-layout", "repository-empty", "repository-blank", "registry-with-path", "registry-empty",
        "repository-and-registry", "mount-from-other-registry"])
def test_bad_invocations_are_one_line(cli, tmp_path, content, args, fragments):
    if content is not None:
        (tmp_path / "set.json").write_text(content)
    proc = cli.run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert_one_line_error(proc, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"] + (["set.json"] if content is not None else [])
