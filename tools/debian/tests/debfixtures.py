"""Real test inputs: .deb files built by dpkg-deb, a signed archive served over HTTP.

Nothing here is a mock: packages are built with `dpkg-deb --build`, indexes are
real Packages/Packages.xz files, Release files are clear-signed by a throwaway
OpenPGP key with `gpg --clearsign`, and the tree is served by `http.server` on
127.0.0.1, so the code under test runs gpgv, HTTP and decompression for real.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from tools.testing.static_server import serve  # noqa: F401 - the archive tests' server

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for running our CLIs in a subprocess: this interpreter's full import path.

    Passing all of sys.path (not just the repository root) keeps third-party
    packages importable under Bazel, where they live in runfiles.
    """
    import sys

    env = {k: v for k, v in os.environ.items() if k != "BUILD_WORKSPACE_DIRECTORY"}
    env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + [p for p in sys.path if p])
    env.update(extra)
    return env


def sha256_file(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_deb(
    out_dir: str,
    name: str,
    version: str,
    arch: str = "amd64",
    *,
    control_extra: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
    compression: str = "xz",
    setup=None,
) -> str:
    """Builds `<out_dir>/<name>_<version>_<arch>.deb` with dpkg-deb; returns its path.

    `files` maps paths below the root to contents; `setup(root)` may add
    anything else (symlinks, hard links, modes) before building.
    """
    safe_version = version.replace(":", "%3a")
    deb = os.path.join(out_dir, f"{name}_{safe_version}_{arch}.deb")
    work = deb + ".d"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "DEBIAN"))
    control = {
        "Package": name,
        "Version": version,
        "Architecture": arch,
        "Maintainer": "Test <test@example.invalid>",
    }
    control.update(control_extra or {})
    control["Description"] = f"test package {name}\n {name} exists only in tests."
    with open(os.path.join(work, "DEBIAN", "control"), "w") as f:
        for key, value in control.items():
            f.write(f"{key}: {value}\n")
    for path, data in (files or {"usr/share/doc/" + name + "/README": f"{name} {version}\n".encode()}).items():
        full = os.path.join(work, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    if setup is not None:
        setup(work)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", work, deb],
        check=True,
        capture_output=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )
    shutil.rmtree(work)
    return deb


class GpgKey:
    """A throwaway signing key in its own GNUPGHOME."""

    def __init__(self, home: str, email: str):
        # gpg-agent's socket lives in the home directory and a socket path must fit in 108 bytes;
        # Bazel's test temporary directories are longer than that.
        if len(home) > 60:
            home = tempfile.mkdtemp(prefix="gnupg-", dir="/tmp")
        self.home = home
        os.makedirs(home, mode=0o700, exist_ok=True)
        self._gpg("--quick-gen-key", email, "default", "default", "never")
        out = self._gpg("--list-secret-keys", "--with-colons", email).stdout.decode()
        self.fingerprint = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))

    def _gpg(self, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["gpg", "--homedir", self.home, "--batch", "--yes", "--passphrase", "", "--pinentry-mode", "loopback", *args],
            check=True,
            capture_output=True,
            input=input,
        )

    def export_keyring(self, path: str) -> str:
        with open(path, "wb") as f:
            f.write(self._gpg("--export", self.fingerprint).stdout)
        return path

    def clearsign(self, data: bytes) -> bytes:
        return self._gpg("--local-user", self.fingerprint, "--digest-algo", "SHA256", "--clearsign", input=data).stdout

    def close(self) -> None:
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"], capture_output=True, check=False)


@dataclass
class Pkg:
    name: str
    version: str
    arch: str = "amd64"
    depends: str | None = None
    pre_depends: str | None = None
    provides: str | None = None
    multi_arch: str | None = None


@dataclass
class Suite:
    archive: str
    name: str
    packages: list[tuple[dict[str, str], str]] = field(default_factory=list)  # (control fields, deb path)


class FakeArchive:
    """A Debian-style archive tree: `<root>/<archive>/{dists,pool}` for each archive."""

    ARCHES = ("amd64", "arm64")

    def __init__(self, root: str, key: GpgKey, deb_cache: str):
        self.root = root
        self.key = key
        self.deb_cache = deb_cache
        self.suites: dict[tuple[str, str], Suite] = {}
        os.makedirs(deb_cache, exist_ok=True)

    def suite(self, archive: str, name: str) -> Suite:
        return self.suites.setdefault((archive, name), Suite(archive, name))

    def add(self, archive: str, suite: str, pkg: Pkg) -> None:
        extra = {}
        if pkg.multi_arch:
            extra["Multi-Arch"] = pkg.multi_arch
        if pkg.pre_depends:
            extra["Pre-Depends"] = pkg.pre_depends
        if pkg.depends:
            extra["Depends"] = pkg.depends
        if pkg.provides:
            extra["Provides"] = pkg.provides
        deb = os.path.join(self.deb_cache, f"{pkg.name}_{pkg.version.replace(':', '%3a')}_{pkg.arch}.deb")
        if not os.path.exists(deb):  # the cache directory is shared by every test of a session
            deb = build_deb(self.deb_cache, pkg.name, pkg.version, pkg.arch, control_extra=extra,
                            compression="gzip")
        fields = {"Package": pkg.name, "Version": pkg.version, "Architecture": pkg.arch,
                  "Maintainer": "Test <test@example.invalid>", **extra}
        self.suite(archive, suite).packages.append((fields, deb))

    def publish(self, *, seed: int | None = None, valid_until: str | None = None, by_hash: bool = False,
                sign_with: GpgKey | None = None) -> None:
        """Writes pool files, Packages(.xz), Release and InRelease for every suite."""
        for (archive, suite_name), suite in sorted(self.suites.items()):
            dists = os.path.join(self.root, archive, "dists", suite_name)
            shutil.rmtree(dists, ignore_errors=True)
            release_files = []
            for arch in self.ARCHES:
                paragraphs = []
                for fields, deb in suite.packages:
                    if fields["Architecture"] not in (arch, "all"):
                        continue
                    name = fields["Package"]
                    filename = f"pool/main/{name[0]}/{name}/{os.path.basename(deb)}"
                    dest = os.path.join(self.root, archive, filename)
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    shutil.copyfile(deb, dest)
                    para = dict(fields)
                    para["Filename"] = filename
                    para["Size"] = str(os.path.getsize(deb))
                    para["SHA256"] = sha256_file(deb)
                    para["Description"] = f"test package {name}"
                    paragraphs.append("".join(f"{k}: {v}\n" for k, v in para.items()))
                if seed is not None:
                    random.Random(seed).shuffle(paragraphs)
                text = "\n".join(paragraphs).encode()
                directory = os.path.join(dists, "main", f"binary-{arch}")
                os.makedirs(directory, exist_ok=True)
                xz = lzma.compress(text)
                for fname, data in (("Packages", text), ("Packages.xz", xz)):
                    with open(os.path.join(directory, fname), "wb") as f:
                        f.write(data)
                    digest = hashlib.sha256(data).hexdigest()
                    release_files.append(f" {digest} {len(data)} main/binary-{arch}/{fname}")
                    if by_hash:
                        os.makedirs(os.path.join(directory, "by-hash", "SHA256"), exist_ok=True)
                        with open(os.path.join(directory, "by-hash", "SHA256", digest), "wb") as f:
                            f.write(data)
            release = [
                "Origin: Test",
                "Label: Test",
                f"Suite: {suite_name}",
                f"Codename: {suite_name}",
                "Date: Tue, 14 Nov 2023 22:13:20 UTC",
            ]
            if valid_until:
                release.append(f"Valid-Until: {valid_until}")
            if by_hash:
                release.append("Acquire-By-Hash: yes")
            release += ["Architectures: " + " ".join(self.ARCHES), "Components: main", "SHA256:"] + release_files
            release_bytes = ("\n".join(release) + "\n").encode()
            with open(os.path.join(dists, "Release"), "wb") as f:
                f.write(release_bytes)
            with open(os.path.join(dists, "InRelease"), "wb") as f:
                f.write((sign_with or self.key).clearsign(release_bytes))

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)


def write_manifest(path: str, *, packages: list[str], keyring: str, keyring_sha256: str,
                   sources: list[tuple[str, list[str]]], architectures: tuple[str, ...] = ("amd64",),
                   snapshot: str = "20240101T000000Z", extra: str = "") -> str:
    lines = [
        f'snapshot = "{snapshot}"',
        "architectures = [" + ", ".join(f'"{a}"' for a in architectures) + "]",
        "packages = [" + ", ".join(f'"{p}"' for p in packages) + "]",
        f'keyring = "{os.path.relpath(keyring, os.path.dirname(path))}"',
        f'keyring_sha256 = "{keyring_sha256}"',
        extra,
    ]
    for archive, suites in sources:
        lines += ["[[sources]]", f'archive = "{archive}"', "suites = [" + ", ".join(f'"{s}"' for s in suites) + "]",
                  'components = ["main"]']
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path
