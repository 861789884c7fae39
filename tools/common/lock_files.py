"""What every lock command shares: its TOML manifest, its committed JSON lock, `bazel run` paths.

A manifest problem is one UserError naming the file; a lock is written atomically, so a failed
run leaves the old one as it was; relative paths under `bazel run` are the user's (the
workspace's), not the runfiles tree's.
"""

from __future__ import annotations

import os
import tomllib
from typing import Any, Iterable

from tools.common import canonical_json
from tools.common.atomic import atomic_binary_output, check_replaceable
from tools.common.errors import UserError
from tools.common.json_file import load_json


def workspace_path(path: str) -> str:
    """`path` relative to BUILD_WORKSPACE_DIRECTORY when `bazel run` set it."""
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if workspace and not os.path.isabs(path):
        return os.path.join(workspace, path)
    return path


def read_manifest(path: str, allowed: Iterable[str], required: Iterable[str]) -> tuple[bytes, dict[str, Any]]:
    """The manifest's bytes (for its sha256) and its TOML table, with no unknown and no missing key."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UserError(f"cannot read manifest {path}: {e.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML: {e}") from None
    allowed = set(allowed)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise UserError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    for key in required:
        if key not in data:
            raise UserError(f"{path}: missing required key {key!r}")
    return raw, data


def check_lock_path(path: str) -> None:
    """Fails before any work when the lock could not be written (no directory, not a regular file)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UserError(f"cannot write lock {path}: directory {directory} does not exist")
    check_replaceable(path)


def write_lock(path: str, lock: dict[str, Any]) -> None:
    """Atomically replaces `path` with the lock's committed encoding; on failure the old lock stays."""
    data = canonical_json.dumps_readable(lock)
    with atomic_binary_output(path) as f:
        f.write(data)


def read_lock(path: str, version: int) -> dict[str, Any]:
    """A lock of `lock_version` `version`; anything else is a UserError that says to re-lock."""
    lock = load_json(path, "lock")
    if not isinstance(lock, dict) or lock.get("lock_version") != version:
        found = lock.get("lock_version") if isinstance(lock, dict) else None
        raise UserError(f"{path}: unsupported lock_version {found!r}; re-lock")
    return lock
