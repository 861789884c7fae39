"""Downloads: repositories in order, the cache never replaces a check, connections kept alive."""

from __future__ import annotations

import hashlib
import os

from tools.maven.repository import MissingArtifact, Repositories
from tools.maven.tests.mavenfixtures import FixtureRepository, dep, jar_bytes
from tools.maven.transport import HttpClient
from tools.testing.static_server import serve


def test_second_run_reads_the_cache_but_still_asks_for_every_checksum(site, tmp_path):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1")
    cache = str(tmp_path / "cache")
    first = site.lock(["t:a:1"], cache_dir=cache)
    site.requests.clear()
    second = site.lock(["t:a:1"], cache_dir=cache)
    assert first["artifacts"] == second["artifacts"]
    assert sorted(site.requests) == sorted(
        f"/t/{a}/1/{a}-1.{e}.sha1" for a in ("a", "b") for e in ("pom", "jar"))


def test_a_corrupted_cache_entry_is_not_used(site, tmp_path):
    r = site.repository
    r.artifact("t:a:1")
    cache = tmp_path / "cache"
    site.lock(["t:a:1"], cache_dir=str(cache))
    sha1 = open(r.path("t", "a", "1") + ".sha1").read()
    entry = cache / "sha1" / sha1[:2] / sha1
    entry.write_bytes(b"rotten")
    site.requests.clear()
    lock = site.lock(["t:a:1"], cache_dir=str(cache))
    assert "/t/a/1/a-1.jar" in site.requests
    assert lock["artifacts"]["t:a"]["sha256"] == hashlib.sha256(open(r.path("t", "a", "1"), "rb").read()).hexdigest()
    assert hashlib.sha1(entry.read_bytes()).hexdigest() == sha1


def test_repositories_are_asked_in_order(tmp_path):
    first = FixtureRepository(str(tmp_path / "first"))
    second = FixtureRepository(str(tmp_path / "second"))
    second.jar("t:only-second:1")
    first.jar("t:both:1", data=jar_bytes("first"))
    second.jar("t:both:1", data=jar_bytes("second"))
    with serve(first.root) as url1, serve(second.root) as url2:
        repositories = Repositories([url1, url2], HttpClient(timeout=10))
        found = repositories.fetch("t/only-second/1/only-second-1.jar")
        assert found.url == f"{url2}t/only-second/1/only-second-1.jar"
        assert found.repository == url2
        both = repositories.fetch("t/both/1/both-1.jar")
        assert both.url.startswith(url1)
        assert both.sha256 == hashlib.sha256(jar_bytes("first")).hexdigest()
        try:
            repositories.fetch("t/none/1/none-1.jar")
        except MissingArtifact as e:
            assert e.urls == [f"{url1}t/none/1/none-1.jar", f"{url2}t/none/1/none-1.jar"]
        else:
            raise AssertionError("a missing file was found")


def test_checksum_files_in_other_formats(tmp_path):
    r = FixtureRepository(str(tmp_path / "repo"))
    path = r.jar("t:a:1")
    digest = hashlib.sha1(open(path, "rb").read()).hexdigest()
    # Some repositories write `HASH  file-name`, upper case, with a newline.
    with open(path + ".sha1", "w") as f:
        f.write(f"{digest.upper()}  a-1.jar\n")
    with serve(r.root) as url:
        found = Repositories([url], HttpClient(timeout=10)).fetch("t/a/1/a-1.jar", keep_data=True)
    assert found.sha1 == digest
    assert found.data == open(path, "rb").read()
    assert found.size == os.path.getsize(path)


def test_one_connection_carries_many_requests(tmp_path):
    r = FixtureRepository(str(tmp_path / "repo"))
    for i in range(5):
        r.jar(f"t:a{i}:1")
    with serve(r.root, keep_alive=True) as url:
        client = HttpClient(timeout=10)
        repositories = Repositories([url], client)
        for i in range(5):
            repositories.fetch(f"t/a{i}/1/a{i}-1.jar")
        connections = client._connections()
        assert len(connections) == 1
        assert next(iter(connections.values())).sock is not None  # still open after ten requests
    # A server that closes every connection (HTTP/1.0) works the same.
    with serve(r.root) as url:
        repositories = Repositories([url], HttpClient(timeout=10))
        for i in range(5):
            assert repositories.fetch(f"t/a{i}/1/a{i}-1.jar").size > 0
