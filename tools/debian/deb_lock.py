"""Resolves a Debian package manifest into a lock file.

    bazel run //toolchains/debian:<name>.lock
    python3 -m tools.debian.deb_lock --manifest toolchains/debian/<name>.toml \\
        --lock toolchains/debian/<name>.lock.json

Relative paths are resolved against BUILD_WORKSPACE_DIRECTORY when set (bazel
run). The lock is only written when every index verified and every package
resolved; a failed run leaves the previous lock untouched.
"""

from __future__ import annotations

import time
from typing import Sequence

from absl import flags

from tools.common.errors import UserError, run_cli
from tools.common.lock_files import check_lock_path, workspace_path
from tools.common.units import human_duration, human_size
from tools.debian import archive_index, fetch
from tools.debian.cache import ContentCache, default_cache_dir
from tools.debian.lockfile import build_lock, write_lock
from tools.debian.manifest import load_manifest
from tools.debian.resolver import PackageIndex, resolve

TOOL = "deb_lock"

_MANIFEST = flags.DEFINE_string("manifest", None, "Manifest (.toml) to resolve.")
_LOCK = flags.DEFINE_string("lock", None, "Lock file (.lock.json) to write.")
_MIRROR = flags.DEFINE_multi_string(
    "mirror", [], "Mirror base URL (\"<archive>/\" is appended); repeatable; overrides the manifest's mirrors."
)
_SNAPSHOT_URL = flags.DEFINE_string(
    "snapshot_url",
    archive_index.DEFAULT_SNAPSHOT_URL,
    "snapshot.debian.org-style base URL (\"<archive>/<snapshot>/\" is appended); empty to skip the snapshot.",
)
_CACHE_DIR = flags.DEFINE_string("cache_dir", None, "Cache of verified indexes (default: $XDG_CACHE_HOME/tools-debian); empty disables.")
_TIMEOUT = flags.DEFINE_float("timeout", fetch.DEFAULT_TIMEOUT, "Network timeout per request, in seconds.")




def lock_manifest(
    manifest_path: str,
    lock_path: str,
    *,
    mirrors: Sequence[str] = (),
    snapshot_url: str | None = archive_index.DEFAULT_SNAPSHOT_URL,
    cache_dir: str | None = None,
    timeout: float = fetch.DEFAULT_TIMEOUT,
) -> dict:
    """Library entry point of the CLI: resolves `manifest_path` and writes `lock_path`."""
    started = time.monotonic()
    manifest = load_manifest(manifest_path)
    check_lock_path(lock_path)
    loader = archive_index.IndexLoader(
        manifest,
        snapshot_url=snapshot_url or None,
        mirrors=list(mirrors) or None,
        cache=ContentCache(cache_dir),
        timeout=timeout,
    )
    resolutions = []
    for arch in manifest.architectures:
        index = PackageIndex(loader.entries(arch), arch)
        resolutions.append(
            resolve(index, manifest.packages, arch, resolve_dependencies=manifest.resolve_dependencies)
        )
    lock = build_lock(
        manifest_sha256=manifest.sha256,
        snapshot=manifest.snapshot,
        resolutions=resolutions,
        package_urls=loader.package_urls,
        resolved_from="mirror" if loader.snapshot_failed else "snapshot",
    )
    write_lock(lock_path, lock)
    elapsed = time.monotonic() - started
    total = sum(p["size"] for p in lock["packages"])
    print(
        f"{TOOL}: locked {len(lock['packages'])} packages ({', '.join(manifest.architectures)}), "
        f"total {human_size(total)} ({total} bytes) in {human_duration(elapsed)} -> {lock_path}"
    )
    for choice in lock.get("virtual_choices", []):
        print(
            f"{TOOL}: note: {choice['required_by']} needs virtual {choice['virtual']}: chose {choice['chosen']} "
            f"among {', '.join(choice['providers'])} ({choice['architecture']})"
        )
    for resolution in resolutions:
        if resolution.unresolved:
            print(
                f"{TOOL}: note: resolve_dependencies = false: {len(resolution.unresolved)} dependency relations "
                f"of the listed packages are not in the lock ({resolution.architecture})"
            )
    return lock


def main(argv: Sequence[str]) -> int:
    if not _MANIFEST.value or not _LOCK.value:
        raise UserError("--manifest and --lock are required")
    cache_dir = default_cache_dir() if _CACHE_DIR.value is None else (_CACHE_DIR.value or None)
    lock_manifest(
        workspace_path(_MANIFEST.value),
        workspace_path(_LOCK.value),
        mirrors=_MIRROR.value,
        snapshot_url=_SNAPSHOT_URL.value or None,
        cache_dir=cache_dir,
        timeout=_TIMEOUT.value,
    )
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
