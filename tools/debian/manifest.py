"""The TOML manifest that says which Debian packages a lock file must contain.

A manifest names a snapshot timestamp, the architectures, the requested
packages, the keyring that authenticates the archive (pinned by sha256) and
the archive sources (archive name, suites, components). Unknown keys are
errors so that a typo never silently changes what gets locked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from typing import Any

from tools.common import lock_files
from tools.common.digest import is_sha256_hex
from tools.common.errors import UserError

SNAPSHOT_RE = re.compile(r"^\d{8}T\d{6}Z$")
# Debian archive, suite, component and architecture names: no slashes, no
# dots at the start, nothing that could walk out of a URL path.
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.+_-]*$")
_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9.+-]+(:[a-z0-9]+)?(\s*\(\s*(<<|<=|=|>=|>>)\s*[A-Za-z0-9.+~:-]+\s*\))?$")

_TOP_KEYS = {
    "snapshot",
    "architectures",
    "packages",
    "keyring",
    "keyring_sha256",
    "sources",
    "mirrors",
    "resolve_dependencies",
}
_SOURCE_KEYS = {"archive", "suites", "components"}


@dataclasses.dataclass(frozen=True)
class Source:
    archive: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Manifest:
    path: str
    sha256: str
    snapshot: str
    architectures: tuple[str, ...]
    packages: tuple[str, ...]
    keyring: str  # absolute path
    keyring_sha256: str
    sources: tuple[Source, ...]
    mirrors: tuple[str, ...]  # base URLs; "<archive>/" is appended
    resolve_dependencies: bool

    @property
    def name(self) -> str:
        """`jni_runtime` for `.../jni_runtime.toml`: the stem used by the re-lock target."""
        base = os.path.basename(self.path)
        return base[: -len(".toml")] if base.endswith(".toml") else base


def _str_list(path: str, where: str, value: Any, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise UserError(f"{path}: {where} must be a non-empty list of strings")
    if len(set(value)) != len(value):
        raise UserError(f"{path}: {where} lists a value twice: {value}")
    if pattern is not None:
        for v in value:
            if not pattern.match(v):
                raise UserError(f"{path}: {where} has an invalid entry {v!r}")
    return tuple(value)


def load_manifest(path: str) -> Manifest:
    """Reads and validates a manifest; every problem is a UserError naming the file."""
    raw, data = lock_files.read_manifest(
        path, _TOP_KEYS, ("snapshot", "architectures", "packages", "keyring", "keyring_sha256", "sources"))

    snapshot = data["snapshot"]
    if not isinstance(snapshot, str) or not SNAPSHOT_RE.match(snapshot):
        raise UserError(f"{path}: snapshot must look like 20251101T000000Z, got {snapshot!r}")
    architectures = _str_list(path, "architectures", data["architectures"], _NAME_RE)
    if "all" in architectures:
        raise UserError(f"{path}: architectures must name real architectures; 'all' packages come with each of them")
    packages = _str_list(path, "packages", data["packages"])
    for p in packages:
        if not _PACKAGE_RE.match(p.strip()):
            raise UserError(f"{path}: packages entry {p!r} is not a package name (optionally with '(op version)')")

    keyring = data["keyring"]
    if not isinstance(keyring, str) or not keyring:
        raise UserError(f"{path}: keyring must be a path relative to the manifest")
    keyring_path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), keyring))
    keyring_sha256 = data["keyring_sha256"]
    if not is_sha256_hex(keyring_sha256):
        raise UserError(f"{path}: keyring_sha256 must be 64 lowercase hex digits")

    raw_sources = data["sources"]
    if not isinstance(raw_sources, list) or not raw_sources:
        raise UserError(f"{path}: needs at least one [[sources]] table")
    sources = []
    seen: set[tuple[str, str]] = set()
    for i, s in enumerate(raw_sources):
        where = f"sources[{i}]"
        if not isinstance(s, dict):
            raise UserError(f"{path}: {where} must be a table")
        unknown = sorted(set(s) - _SOURCE_KEYS)
        if unknown:
            raise UserError(f"{path}: {where} has unknown key(s) {', '.join(unknown)}")
        if not isinstance(s.get("archive"), str) or not _NAME_RE.match(s["archive"]):
            raise UserError(f"{path}: {where}.archive must be an archive name such as 'debian'")
        suites = _str_list(path, f"{where}.suites", s.get("suites"), _NAME_RE)
        components = _str_list(path, f"{where}.components", s.get("components"), _NAME_RE)
        for suite in suites:
            if (s["archive"], suite) in seen:
                raise UserError(f"{path}: suite {suite} of archive {s['archive']} is listed twice")
            seen.add((s["archive"], suite))
        sources.append(Source(s["archive"], suites, components))

    mirrors: tuple[str, ...] = ("https://deb.debian.org/",)
    if "mirrors" in data:
        mirrors = _str_list(path, "mirrors", data["mirrors"])
        for m in mirrors:
            if not re.match(r"^https?://", m):
                raise UserError(f"{path}: mirror {m!r} must be an http(s) URL")

    resolve_dependencies = data.get("resolve_dependencies", True)
    if not isinstance(resolve_dependencies, bool):
        raise UserError(f"{path}: resolve_dependencies must be true or false")

    return Manifest(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        snapshot=snapshot,
        architectures=architectures,
        packages=packages,
        keyring=keyring_path,
        keyring_sha256=keyring_sha256,
        sources=tuple(sources),
        mirrors=mirrors,
        resolve_dependencies=resolve_dependencies,
    )
