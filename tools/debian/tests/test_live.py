"""Live check against the real Debian archive (deb.debian.org over https).

Resolves libc++1-16 for bookworm amd64 with the committed keyring and asserts
the exact closure. Skipped, with the reason shown, when the archive cannot be
reached.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from tools.debian.deb_lock import lock_manifest
from tools.debian.tests.debfixtures import REPO_ROOT, sha256_file, write_manifest

MIRROR = "https://deb.debian.org/"
KEYRING = os.path.join(REPO_ROOT, "toolchains", "debian", "debian-archive-keyring.gpg")


@pytest.fixture(scope="module")
def reachable():
    url = MIRROR + "debian/dists/bookworm/InRelease"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=5) as response:
            response.read()
    except OSError as e:
        pytest.skip(f"deb.debian.org unreachable: {e}")


def test_libcxx_closure_bookworm(reachable, tmp_path):
    manifest = write_manifest(
        str(tmp_path / "jni.toml"),
        packages=["libc++1-16"],
        keyring=KEYRING,
        keyring_sha256=sha256_file(KEYRING),
        sources=[("debian", ["bookworm", "bookworm-updates"]), ("debian-security", ["bookworm-security"])],
    )
    lock = lock_manifest(manifest, str(tmp_path / "jni.lock.json"), mirrors=[MIRROR], snapshot_url=None,
                         cache_dir=str(tmp_path / "cache"))
    assert {p["name"] for p in lock["packages"]} == {
        "libc++1-16", "libc++abi1-16", "libunwind-16", "libc6", "libgcc-s1", "gcc-12-base"
    }
    for p in lock["packages"]:
        assert p["architecture"] == "amd64"
        assert p["urls"] == [f"{MIRROR}{p['archive']}/{p['filename']}"]
    with open(tmp_path / "jni.lock.json") as f:
        assert json.load(f) == lock
