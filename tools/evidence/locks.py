"""The locks an image was built from: Debian and Maven locks (JSON) and pip requirement locks.

Each lookup checks the artifact in hand against the lock's sha256, so an SBOM never names a lock
entry for other bytes than the ones it locked.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from tools.common.digest import file_sha256_hex
from tools.common.errors import UserError
from tools.common.json_file import load_json


@dataclasses.dataclass(frozen=True)
class LockRef:
    """A lock as provenance names it."""

    label: str
    sha256: str
    kind: str  # "deb", "maven", "pip"


@functools.lru_cache(maxsize=None)
def _json_lock(path: str) -> dict[str, Any]:
    value = load_json(path, "lock")
    if not isinstance(value, dict) or value.get("lock_version") != 1:
        raise UserError(f"lock {path} is not a lock_version 1 lock; re-lock it")
    return value


@functools.lru_cache(maxsize=None)
def file_sha256(path: str) -> str:
    return file_sha256_hex(path)


def _checked(entry: dict[str, Any], artifact: str, what: str, lock_label: str) -> dict[str, Any]:
    actual = file_sha256(artifact)
    if entry.get("sha256") != actual:
        raise UserError(f"{what}: {artifact} has sha256 {actual}, but the lock {lock_label} says "
                        f"{entry.get('sha256')}; rebuild (the lock and the fetched file disagree)")
    return entry


def deb_entry(lock_path: str, lock_label: str, name: str, artifact: str) -> dict[str, Any]:
    """The lock entry of Debian package `name`, checked against the .deb `artifact`."""
    for entry in _json_lock(lock_path).get("packages", []):
        if isinstance(entry, dict) and entry.get("name") == name:
            return _checked(entry, artifact, f"package {name}", lock_label)
    raise UserError(f"package {name} is not in the lock {lock_label}")


def maven_entry(lock_path: str, lock_label: str, key: str, artifact: str) -> dict[str, Any]:
    """The lock entry of Maven artifact `key`, checked against the jar `artifact`."""
    entry = _json_lock(lock_path).get("artifacts", {}).get(key)
    if not isinstance(entry, dict):
        raise UserError(f"artifact {key} is not in the lock {lock_label}")
    return _checked(entry, artifact, f"artifact {key}", lock_label)


def maven_entry_unchecked(lock_path: str, lock_label: str, key: str) -> dict[str, Any]:
    """The lock entry of `key` when only its lock is at hand (what a native library came from)."""
    entry = _json_lock(lock_path).get("artifacts", {}).get(key)
    if not isinstance(entry, dict):
        raise UserError(f"artifact {key} is not in the lock {lock_label}")
    return entry


_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def normalize_pypi(name: str) -> str:
    """PEP 503 normalized name (what purl's pypi type uses)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=None)
def pip_hashes(path: str) -> dict[tuple[str, str], frozenset[str]]:
    """{(normalized name, version): sha256 hashes} of a pip-compile lock (requirements_lock.txt)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UserError(f"cannot read requirements lock {path}: {e.strerror}") from None
    result: dict[tuple[str, str], set[str]] = {}
    current: tuple[str, str] | None = None
    for line in lines:
        match = _REQUIREMENT.match(line)
        if match:
            current = (normalize_pypi(match.group(1)), match.group(2))
            result.setdefault(current, set())
        elif not line.startswith((" ", "\t")):
            current = None
        if current is not None:
            result[current].update(_HASH.findall(line))
    return {k: frozenset(v) for k, v in result.items()}
