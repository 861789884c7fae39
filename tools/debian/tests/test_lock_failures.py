"""Every failure is one line on stderr, exit status 1, no lock written, nothing unverified cached."""

from __future__ import annotations

import hashlib
import lzma
import os
import re

import pytest

from tools.debian.tests.conftest import run_deb_lock
from tools.debian.tests.debfixtures import sha256_file

OLD_LOCK = b'{"lock_version": 1, "old": true}\n'


def _run_failing(site, tmp_path, manifest, *extra):
    lock = tmp_path / "out.lock.json"
    lock.write_bytes(OLD_LOCK)
    cache = tmp_path / "cache"
    proc = run_deb_lock("--manifest", manifest, "--lock", str(lock), "--mirror", site.url, "--snapshot_url=",
                        f"--cache_dir={cache}", *extra)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("deb_lock: error: ")]
    assert len(errors) == 1, proc.stderr
    # The previous lock is untouched and no temporary file is left beside it.
    assert lock.read_bytes() == OLD_LOCK
    assert sorted(os.listdir(tmp_path)) == sorted(p for p in os.listdir(tmp_path) if not p.startswith(".tmp"))
    # Anything in the cache is a verified index: its name is its hash and the Release lists it.
    listed = set()
    for root, _, files in os.walk(site.archive.root):
        if "Release" in files:
            listed |= set(re.findall(r"^ ([0-9a-f]{64}) ", open(os.path.join(root, "Release")).read(), re.M))
    if cache.exists():
        for name in os.listdir(cache / "sha256"):
            assert sha256_file(str(cache / "sha256" / name)) == name
            assert name in listed
    return errors[0][len("deb_lock: error: "):], cache


def test_missing_package(site, tmp_path):
    message, _ = _run_failing(site, tmp_path, site.manifest("m.toml", ["does-not-exist"]))
    assert message == (
        "the manifest requests does-not-exist, but no package or provider named does-not-exist is in the index "
        "for amd64 (suites: stable, stable-updates, stable-security)"
    )


def test_unsatisfiable_dependency(site, tmp_path):
    message, _ = _run_failing(site, tmp_path, site.manifest("m.toml", ["broken"]))
    assert message == (
        "broken 1.0 depends on libbar (>= 3), but the index only has libbar 2.0 (stable, amd64), 1.0 (stable, amd64)"
    )


def test_incompatible_versions_name_both_requesters(site, tmp_path):
    message, _ = _run_failing(site, tmp_path, site.manifest("m.toml", ["c2", "c1"]))
    assert message.startswith("c1 1.0 depends on libbar (<< 2), but c2 1.0 depends on libbar (>= 2); "
                              "no version satisfies both")
    assert "libbar 2.0 (stable, amd64), 1.0 (stable, amd64)" in message


def test_keyring_sha256_mismatch(site, tmp_path):
    manifest = site.manifest("m.toml", ["libfoo"], keyring_sha256="0" * 64)
    message, cache = _run_failing(site, tmp_path, manifest)
    assert message.startswith(f"keyring {site.keyring} has sha256 {site.keyring_sha256} but ")
    assert 'pins keyring_sha256 = "' + "0" * 64 + '"' in message
    assert not cache.exists()


def test_signed_by_another_key(site, tmp_path, other_key):
    inrelease = site.archive.path("debian", "dists", "stable", "InRelease")
    with open(site.archive.path("debian", "dists", "stable", "Release"), "rb") as f:
        release = f.read()
    with open(inrelease, "wb") as f:
        f.write(other_key.clearsign(release))
    message, cache = _run_failing(site, tmp_path, site.manifest("m.toml", ["libfoo"]))
    assert message.startswith(f"{site.url}debian/dists/stable/InRelease: OpenPGP signature verification failed")
    assert "not in the keyring" in message
    assert not cache.exists()


def test_modified_signed_body(site, tmp_path):
    inrelease = site.archive.path("debian", "dists", "stable", "InRelease")
    with open(inrelease, "rb") as f:
        data = f.read()
    assert b"Label: Test\n" in data
    with open(inrelease, "wb") as f:
        f.write(data.replace(b"Label: Test\n", b"Label: Evil\n"))
    message, cache = _run_failing(site, tmp_path, site.manifest("m.toml", ["libfoo"]))
    assert "OpenPGP signature verification failed" in message and "BAD signature" in message
    assert not cache.exists()


def test_unsigned_text_outside_signature_is_refused(site, tmp_path):
    inrelease = site.archive.path("debian", "dists", "stable", "InRelease")
    with open(inrelease, "rb") as f:
        data = f.read()
    with open(inrelease, "wb") as f:
        f.write(data + b"\nSHA256:\n " + b"0" * 64 + b" 10 main/binary-amd64/Packages.xz\n")
    message, _ = _run_failing(site, tmp_path, site.manifest("m.toml", ["libfoo"]))
    assert message.endswith("InRelease has content outside its signature block")


def test_tampered_packages_index(site, tmp_path):
    directory = site.archive.path("debian", "dists", "stable", "main", "binary-amd64")
    with open(os.path.join(directory, "Packages"), "rb") as f:
        text = f.read()
    evil = lzma.compress(text.replace(b"Package: libfoo\n", b"Package: libfoo\nX-Evil: yes\n", 1))
    with open(os.path.join(directory, "Packages.xz"), "wb") as f:
        f.write(evil)
    message, cache = _run_failing(site, tmp_path, site.manifest("m.toml", ["libfoo"]))
    assert message.startswith("debian stable main/binary-amd64/Packages.xz: checksum mismatch: ")
    assert f"{site.url}debian/dists/stable/main/binary-amd64/Packages.xz" in message
    assert hashlib.sha256(evil).hexdigest() in message
    if cache.exists():
        assert hashlib.sha256(evil).hexdigest() not in os.listdir(cache / "sha256")


def test_wrong_suite_in_signed_release(site, tmp_path):
    # A correctly signed Release of another suite served in place of this one (replay).
    stable = site.archive.path("debian", "dists", "stable", "InRelease")
    updates = site.archive.path("debian", "dists", "stable-updates", "InRelease")
    with open(updates, "rb") as src, open(stable, "wb") as dst:
        dst.write(src.read())
    message, _ = _run_failing(site, tmp_path, site.manifest("m.toml", ["libfoo"]))
    assert "signed Release is for Suite 'stable-updates'" in message


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('snapshot = "20240101T000000Z"', "snapshot = 'yesterday'", "snapshot must look like 20251101T000000Z"),
        ("[[sources]]", "[[sources]", "not valid TOML"),
        ('packages = ["libfoo"]', 'packages = ["libfoo", "../x"]', "is not a package name"),
        ('architectures = ["amd64"]', 'architectures = ["all"]', "must name real architectures"),
    ],
)
def test_bad_manifest(site, tmp_path, old, new, expected):
    manifest = site.manifest("m.toml", ["libfoo"])
    with open(manifest) as f:
        text = f.read()
    assert old in text
    with open(manifest, "w") as f:
        f.write(text.replace(old, new, 1))
    message, _ = _run_failing(site, tmp_path, manifest)
    assert message.startswith(manifest + ": ") or message.startswith(f"{manifest}:"), message
    assert expected in message


def test_unknown_manifest_key(site, tmp_path):
    manifest = site.manifest("m.toml", ["libfoo"], extra="pacakges = ['x']")
    message, _ = _run_failing(site, tmp_path, manifest)
    assert "unknown key(s) pacakges" in message


def test_cli_success_and_workspace_directory(site, tmp_path):
    manifest = site.manifest("m.toml", ["libfoo"])
    env_dir = tmp_path / "ws"
    env_dir.mkdir()
    os.rename(manifest, env_dir / "m.toml")
    os.rename(site.keyring, env_dir / "keyring.gpg")
    import subprocess
    import sys

    from tools.debian.tests.debfixtures import REPO_ROOT, subprocess_env

    text = (env_dir / "m.toml").read_text().replace(os.path.relpath(site.keyring, site.work), "keyring.gpg")
    (env_dir / "m.toml").write_text(text)
    env = subprocess_env(BUILD_WORKSPACE_DIRECTORY=str(env_dir))
    proc = subprocess.run(
        [sys.executable, "-m", "tools.debian.deb_lock", "--manifest", "m.toml", "--lock", "m.lock.json",
         "--mirror", site.url, "--snapshot_url=", f"--cache_dir={tmp_path / 'cache'}"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.match(r"deb_lock: locked 2 packages \(amd64\), total [0-9.]+ (B|KiB) \(\d+ bytes\) in [0-9.]+s -> ",
                    proc.stdout), proc.stdout
    assert (env_dir / "m.lock.json").exists()
