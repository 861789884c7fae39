"""Shared fixtures: signing keys and a signed test archive served on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tools.debian.tests.debfixtures import REPO_ROOT, FakeArchive, GpgKey, Pkg, serve, sha256_file, subprocess_env

SNAPSHOT = "20240101T000000Z"


def _require_tools() -> None:
    for tool in ("gpg", "gpgv", "gpgconf", "dpkg-deb"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required by these tests (apt-get install gnupg gpgv dpkg)")


@pytest.fixture(scope="session")
def gpg_key(tmp_path_factory):
    _require_tools()
    key = GpgKey(str(tmp_path_factory.mktemp("gpg-main")), "test@example.invalid")
    yield key
    key.close()


@pytest.fixture(scope="session")
def other_key(tmp_path_factory):
    key = GpgKey(str(tmp_path_factory.mktemp("gpg-other")), "other@example.invalid")
    yield key
    key.close()


def populate(archive: FakeArchive) -> None:
    """The packages every resolution test works with (see test_resolution.py)."""
    add = archive.add
    s = ("debian", "stable")
    add(*s, Pkg("app", "1.0", pre_depends="libc (>= 2.0)",
                depends="libfoo (<< 2.0) | libfoo-compat, www-browser, data-common, libjpeg-api (>= 8), "
                        "libtool:any, missing-thing | fallback, editor, libepoch"))
    add(*s, Pkg("libc", "2.0"))
    add(*s, Pkg("libc", "2.0", arch="arm64"))
    for v in ("1.0", "1.3", "2.0"):
        add(*s, Pkg("libfoo", v, depends="libc"))
    add(*s, Pkg("libfoo-compat", "1.0"))
    add(*s, Pkg("lynx", "2.9", provides="www-browser"))
    add(*s, Pkg("elinks", "0.13", provides="www-browser"))
    add(*s, Pkg("data-common", "1.0", arch="all", depends="libc"))
    add(*s, Pkg("libjpeg-turbo", "2.1", provides="libjpeg-api (= 8)"))
    add(*s, Pkg("libjpeg-legacy", "1.0", provides="libjpeg-api (= 6)"))
    add(*s, Pkg("libtool", "2.4", multi_arch="allowed"))
    add(*s, Pkg("fallback", "1.0"))
    add(*s, Pkg("nano", "7.2", provides="editor"))
    add(*s, Pkg("aaa-editor", "1.0", provides="editor"))
    add(*s, Pkg("libepoch", "1:0.5"))
    add(*s, Pkg("libepoch", "2.0"))
    add(*s, Pkg("broken", "1.0", depends="libbar (>= 3)"))
    add(*s, Pkg("libbar", "1.0"))
    add(*s, Pkg("libbar", "2.0"))
    add(*s, Pkg("c1", "1.0", depends="libbar (<< 2)"))
    add(*s, Pkg("c2", "1.0", depends="libbar (>= 2)"))
    add(*s, Pkg("r1", "1.0", depends="libbaz"))
    add(*s, Pkg("r2", "1.0", depends="libbaz (<< 2)"))
    add(*s, Pkg("libbaz", "1.0"))
    add(*s, Pkg("libbaz", "2.0"))
    add("debian", "stable-updates", Pkg("libfoo-compat", "1.1"))
    add("debian-security", "stable-security", Pkg("libc", "2.1"))


class ArchiveSite:
    """A published archive, its keyring and where it is served."""

    def __init__(self, archive: FakeArchive, keyring: str, url: str, work: str):
        self.archive = archive
        self.keyring = keyring
        self.keyring_sha256 = sha256_file(keyring)
        self.url = url
        self.work = work

    def manifest(self, name: str, packages: list[str], **kwargs) -> str:
        from tools.debian.tests.debfixtures import write_manifest

        kwargs.setdefault("sources", [("debian", ["stable", "stable-updates"]), ("debian-security", ["stable-security"])])
        kwargs.setdefault("keyring_sha256", self.keyring_sha256)
        return write_manifest(os.path.join(self.work, name), packages=packages, keyring=self.keyring,
                              snapshot=SNAPSHOT, **kwargs)


@pytest.fixture(scope="session")
def deb_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("debs"))


@pytest.fixture
def site(tmp_path, gpg_key, deb_cache):
    """A fresh copy of the standard archive for each test (tests may tamper with it)."""
    root = tmp_path / "www"
    archive = FakeArchive(str(root), gpg_key, deb_cache)
    populate(archive)
    archive.publish()
    # snapshot.debian.org layout: <snapshot_url><archive>/<timestamp>/ -> the same tree.
    for name in ("debian", "debian-security"):
        os.makedirs(root / "snapshot" / name, exist_ok=True)
        os.symlink(root / name, root / "snapshot" / name / SNAPSHOT)
    keyring = gpg_key.export_keyring(str(tmp_path / "keyring.gpg"))
    work = tmp_path / "work"
    work.mkdir()
    with serve(str(root)) as url:
        yield ArchiveSite(archive, keyring, url, str(work))


def run_deb_lock(*args: str) -> subprocess.CompletedProcess:
    """Runs the real CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "tools.debian.deb_lock", *args], cwd=REPO_ROOT, env=subprocess_env(),
                          capture_output=True, text=True, timeout=120)
