"""End-to-end resolution against a real signed archive served on 127.0.0.1."""

from __future__ import annotations

import json
import os

from tools.debian.deb_lock import lock_manifest
from tools.debian.tests.conftest import SNAPSHOT
from tools.debian.tests.debfixtures import FakeArchive, sha256_file


def _lock(site, manifest, tmp_path, name="out.lock.json", **kwargs):
    kwargs.setdefault("mirrors", [site.url])
    kwargs.setdefault("snapshot_url", None)
    kwargs.setdefault("cache_dir", str(tmp_path / "cache"))
    path = str(tmp_path / name)
    lock = lock_manifest(manifest, path, **kwargs)
    with open(path) as f:
        assert json.load(f) == lock
    return lock, path


def _versions(lock):
    return {(p["name"], p["architecture"]): p["version"] for p in lock["packages"]}


def test_full_resolution(site, tmp_path):
    manifest = site.manifest("app.toml", ["app", "nano"])
    lock, _ = _lock(site, manifest, tmp_path)
    assert _versions(lock) == {
        ("app", "amd64"): "1.0",
        ("nano", "amd64"): "7.2",
        # security suite overrides the main suite by a higher version
        ("libc", "amd64"): "2.1",
        # versioned constraint (<< 2.0) picks the highest version below 2.0
        ("libfoo", "amd64"): "1.3",
        # virtual package with two providers: the name sorting first, recorded below
        ("elinks", "amd64"): "0.13",
        ("data-common", "all"): "1.0",
        # versioned Provides: only libjpeg-turbo provides libjpeg-api (= 8)
        ("libjpeg-turbo", "amd64"): "2.1",
        ("libtool", "amd64"): "2.4",
        # first alternative (missing-thing) does not exist: the second is taken
        ("fallback", "amd64"): "1.0",
        # epoch 1:0.5 is higher than 2.0
        ("libepoch", "amd64"): "1:0.5",
    }
    by_name = {p["name"]: p for p in lock["packages"]}
    # "editor" is provided by aaa-editor (sorts first) and by nano; nano is already selected.
    assert by_name["app"]["depends"] == sorted(
        ["libc", "libfoo", "elinks", "data-common", "libjpeg-turbo", "libtool", "fallback", "nano", "libepoch"]
    )
    assert by_name["libfoo"]["depends"] == ["libc"]
    assert by_name["libc"]["archive"] == "debian-security"
    assert by_name["libc"]["suite"] == "stable-security"
    assert lock["virtual_choices"] == [
        {"architecture": "amd64", "virtual": "www-browser", "chosen": "elinks", "providers": ["elinks", "lynx"],
         "required_by": "app 1.0"}
    ]
    assert lock["snapshot"] == SNAPSHOT
    assert lock["manifest_sha256"] == sha256_file(manifest)
    assert lock["packages"] == sorted(lock["packages"], key=lambda p: (p["name"], p["architecture"]))
    # The locked hashes, sizes and URLs are those of the real pool files.
    for p in lock["packages"]:
        pool_file = site.archive.path(p["archive"], p["filename"])
        assert p["sha256"] == sha256_file(pool_file)
        assert p["size"] == os.path.getsize(pool_file)
        assert p["urls"] == [f"{site.url}{p['archive']}/{p['filename']}"]


def test_alternative_already_selected_wins(site, tmp_path):
    # libfoo-compat is requested, so "libfoo (<< 2.0) | libfoo-compat" is satisfied by it.
    lock, _ = _lock(site, site.manifest("m.toml", ["app", "nano", "libfoo-compat"]), tmp_path)
    versions = _versions(lock)
    assert ("libfoo", "amd64") not in versions
    # the highest version over all suites: stable-updates has 1.1
    assert versions[("libfoo-compat", "amd64")] == "1.1"
    app = next(p for p in lock["packages"] if p["name"] == "app")
    assert "libfoo-compat" in app["depends"]


def test_virtual_prefers_sorted_first_without_selection(site, tmp_path):
    lock, _ = _lock(site, site.manifest("m.toml", ["app"]), tmp_path)
    versions = _versions(lock)
    assert ("aaa-editor", "amd64") in versions and ("nano", "amd64") not in versions
    choices = {c["virtual"]: c["chosen"] for c in lock["virtual_choices"]}
    assert choices == {"www-browser": "elinks", "editor": "aaa-editor"}


def test_restart_learns_version_constraint(site, tmp_path):
    # r1 wants any libbaz (2.0 is highest), r2 wants libbaz (<< 2): one version satisfies both.
    lock, _ = _lock(site, site.manifest("m.toml", ["r1", "r2"]), tmp_path)
    assert _versions(lock)[("libbaz", "amd64")] == "1.0"


def test_result_independent_of_index_and_manifest_order(site, tmp_path, gpg_key, deb_cache):
    first, first_path = _lock(site, site.manifest("a.toml", ["app", "nano"]), tmp_path, "a.json")
    # Same archive, paragraphs shuffled in every Packages file, and the manifest list reversed.
    from tools.debian.tests.conftest import populate

    for seed in (1, 2, 3):
        shuffled = FakeArchive(site.archive.root, gpg_key, deb_cache)
        populate(shuffled)
        shuffled.suites = {k: v for k, v in reversed(list(shuffled.suites.items()))}
        for suite in shuffled.suites.values():
            suite.packages.reverse()
        shuffled.publish(seed=seed)
        other, _ = _lock(site, site.manifest("b.toml", ["nano", "app"]), tmp_path, f"b{seed}.json")
        assert other["packages"] == first["packages"]
        assert other.get("virtual_choices") == first.get("virtual_choices")
        # the same manifest bytes give the same lock bytes
        _, again = _lock(site, site.manifest("a.toml", ["app", "nano"]), tmp_path, f"a{seed}.json")
        with open(first_path, "rb") as f1, open(again, "rb") as f2:
            assert f1.read() == f2.read()


def test_multiple_architectures_share_arch_all(site, tmp_path):
    manifest = site.manifest("m.toml", ["data-common"], architectures=("amd64", "arm64"))
    lock, _ = _lock(site, manifest, tmp_path)
    assert [(p["name"], p["architecture"], p["version"]) for p in lock["packages"]] == [
        ("data-common", "all", "1.0"),
        ("libc", "amd64", "2.1"),
        ("libc", "arm64", "2.0"),
    ]
    assert lock["packages"][0]["depends"] == ["libc"]


def test_resolve_dependencies_false_locks_only_listed(site, tmp_path):
    manifest = site.manifest("m.toml", ["app", "libfoo"], extra="resolve_dependencies = false")
    lock, _ = _lock(site, manifest, tmp_path)
    assert _versions(lock) == {("app", "amd64"): "1.0", ("libfoo", "amd64"): "2.0"}
    # depends only names packages inside the lock; libfoo 2.0 does not satisfy (<< 2.0)
    assert [p["depends"] for p in lock["packages"]] == [[], []]


def test_snapshot_first_then_mirror(site, tmp_path, capfd):
    manifest = site.manifest("m.toml", ["libfoo"])
    lock, _ = _lock(site, manifest, tmp_path, snapshot_url=site.url + "snapshot/")
    err = capfd.readouterr().err
    assert "snapshot unreachable" not in err
    libfoo = next(p for p in lock["packages"] if p["name"] == "libfoo")
    assert libfoo["urls"] == [
        f"{site.url}snapshot/debian/{SNAPSHOT}/{libfoo['filename']}",
        f"{site.url}debian/{libfoo['filename']}",
    ]


def test_snapshot_unreachable_falls_back_with_one_warning(site, tmp_path, capfd):
    manifest = site.manifest("m.toml", ["app", "nano"])
    # Port 1 on loopback: connection refused at once.
    lock, _ = _lock(site, manifest, tmp_path, snapshot_url="http://127.0.0.1:1/")
    err = capfd.readouterr().err
    warnings = [line for line in err.splitlines() if "snapshot unreachable" in line]
    assert len(warnings) == 1, err
    assert "lock reflects the mirror's current state" in warnings[0]
    assert lock["packages"][0]["urls"][0].startswith(f"http://127.0.0.1:1/{lock['packages'][0]['archive']}/{SNAPSHOT}/")


def test_by_hash_and_cache(site, tmp_path):
    site.archive.publish(by_hash=True)
    manifest = site.manifest("m.toml", ["libfoo"])
    cache = tmp_path / "cache"
    first, _ = _lock(site, manifest, tmp_path, "1.json", cache_dir=str(cache))
    entries = sorted(os.listdir(cache / "sha256"))
    assert len(entries) == 3  # one Packages.xz per suite
    for name in entries:
        assert sha256_file(str(cache / "sha256" / name)) == name
    # With the plain-path indexes gone, the cached (verified) copies are used.
    for suite_dir in ("debian/dists/stable", "debian/dists/stable-updates", "debian-security/dists/stable-security"):
        os.unlink(site.archive.path(*suite_dir.split("/"), "main", "binary-amd64", "Packages.xz"))
    second, _ = _lock(site, manifest, tmp_path, "2.json", cache_dir=str(cache))
    assert second == first


def test_expired_release_warns(site, tmp_path, capfd):
    site.archive.publish(valid_until="Wed, 15 Nov 2023 00:00:00 UTC")
    lock, _ = _lock(site, site.manifest("m.toml", ["libfoo"]), tmp_path)
    err = capfd.readouterr().err
    assert "Valid-Until" in err and "accepted because snapshot indexes are old by design" in err
    assert _versions(lock)[("libfoo", "amd64")] == "2.0"
