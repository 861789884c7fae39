"""The lock file: every package to install, pinned by sha256, with its URLs.

Encoding (committed files): JSON with sorted keys, 2-space indentation,
UTF-8 and a trailing newline. It is a pure function of the content, so the
same resolution always gives the same bytes, and it is reviewable in diffs;
`tools.common.canonical_json.dumps(read_lock(path))` gives the canonical
compact form of the same data for anything that needs to hash it.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from tools.common import canonical_json, lock_files
from tools.common.digest import is_sha256_hex
from tools.common.errors import UserError
from tools.debian.archive_index import IndexEntry
from tools.debian.resolver import Resolution

LOCK_VERSION = 1
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~%-]*(/[A-Za-z0-9_.+~%-]+)*\.deb$")


def _checked_pool_fields(entry: IndexEntry) -> tuple[str, str, int]:
    """Filename, SHA256 and Size of a selected entry, refusing anything that could escape a URL path."""
    where = f"index entry {entry.name} {entry.version} ({entry.archive} {entry.suite})"
    filename = entry.field("filename") or ""
    if not _FILENAME.match(filename) or any(part in (".", "..") for part in filename.split("/")):
        raise UserError(f"{where}: refusing Filename {filename!r} (must be a relative pool path ending in .deb)")
    sha256 = (entry.field("sha256") or "").lower()
    if not is_sha256_hex(sha256):
        raise UserError(f"{where}: missing or malformed SHA256 field")
    size = entry.field("size") or ""
    if not size.isdigit() or int(size) <= 0:
        raise UserError(f"{where}: missing or malformed Size field")
    return filename, sha256, int(size)


def build_lock(
    *,
    manifest_sha256: str,
    snapshot: str,
    resolutions: Iterable[Resolution],
    package_urls: Callable[[str, str], list[str]],
    resolved_from: str = "snapshot",
) -> dict[str, Any]:
    """Merges per-architecture resolutions into the lock document.

    `resolved_from` says where the package indexes came from: "snapshot" (the lock is the
    snapshot's state) or "mirror" (the snapshot was unreachable: the lock is the mirror's state
    on the day it was made, and `snapshot` is only the day).

    `package_urls(archive, filename)` gives the download URLs in order.
    Architecture: all packages reached from several architectures appear once,
    with the union of their dependencies.
    """
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    choices = set()
    for resolution in resolutions:
        for c in resolution.virtual_choices:
            choices.add((resolution.architecture, c.virtual, c.chosen, c.providers, c.required_by))
        for name, resolved in resolution.packages.items():
            entry = resolved.entry
            filename, sha256, size = _checked_pool_fields(entry)
            key = (name, entry.architecture)
            record = {
                "name": name,
                "version": entry.version,
                "architecture": entry.architecture,
                "sha256": sha256,
                "size": size,
                "filename": filename,
                "archive": entry.archive,
                "suite": entry.suite,
                "urls": package_urls(entry.archive, filename),
                "depends": list(resolved.depends),
            }
            if key in merged:
                previous = merged[key]
                if previous["sha256"] != sha256:
                    raise UserError(
                        f"{name} ({entry.architecture}) resolved to {previous['version']} for one architecture "
                        f"and {entry.version} for another; pin it in the manifest"
                    )
                previous["depends"] = sorted(set(previous["depends"]) | set(resolved.depends))
            else:
                merged[key] = record
    packages = [merged[k] for k in sorted(merged)]
    lock: dict[str, Any] = {
        "lock_version": LOCK_VERSION,
        "manifest_sha256": manifest_sha256,
        "snapshot": snapshot,
        "resolved_from": resolved_from,
        "packages": packages,
    }
    if choices:
        lock["virtual_choices"] = [
            {"architecture": a, "virtual": v, "chosen": ch, "providers": list(p), "required_by": r}
            for a, v, ch, p, r in sorted(choices)
        ]
    return lock


def encode_lock(lock: dict[str, Any]) -> bytes:
    return canonical_json.dumps_readable(lock)


def write_lock(path: str, lock: dict[str, Any]) -> None:
    """Atomically replaces `path`; on any failure the old lock stays as it was."""
    lock_files.write_lock(path, lock)


def read_lock(path: str) -> dict[str, Any]:
    return lock_files.read_lock(path, LOCK_VERSION)
