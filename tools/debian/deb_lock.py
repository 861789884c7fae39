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

from absl import app, flags

from tools.common.errors import UserError, run_cli
from tools.common.lock_files import check_lock_path, workspace_path
from tools.debian import archive_index, fetch
from tools.debian.cache import ContentCache, default_cache_dir
from tools.debian.lockfile import build_lock, write_lock
from tools.debian.manifest import load_manifest
from tools.debian.resolver import PackageIndex, resolve

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "Manifest (.toml) to resolve.")
flags.DEFINE_string("lock", None, "Lock file (.lock.json) to write.")
flags.DEFINE_multi_string(
    "mirror", [], "Mirror base URL (\"<archive>/\" is appended); repeatable; overrides the manifest's mirrors."
)
flags.DEFINE_string(
    "snapshot_url",
    archive_index.DEFAULT_SNAPSHOT_URL,
    "snapshot.debian.org-style base URL (\"<archive>/<snapshot>/\" is appended); empty to skip the snapshot.",
)
flags.DEFINE_string("cache_dir", None, "Cache of verified indexes (default: $XDG_CACHE_HOME/tools-debian); empty disables.")
flags.DEFINE_float("timeout", fetch.DEFAULT_TIMEOUT, "Network timeout per request, in seconds.")

TOOL = "deb_lock"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{size} B"
        value /= 1024
    raise AssertionError


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
        f"total {_human(total)} ({total} bytes) in {elapsed:.1f}s -> {lock_path}"
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


def _main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not FLAGS.manifest or not FLAGS.lock:
        raise UserError("--manifest and --lock are required")
    cache_dir = default_cache_dir() if FLAGS.cache_dir is None else (FLAGS.cache_dir or None)
    try:
        _lock(cache_dir)
    except OSError as e:
        # Local I/O (the lock's directory, the cache): still one line, never a traceback.
        raise UserError(f"cannot write {e.filename or 'output'}: {e.strerror}") from None


def _lock(cache_dir: str | None) -> None:
    lock_manifest(
        workspace_path(FLAGS.manifest),
        workspace_path(FLAGS.lock),
        mirrors=FLAGS.mirror,
        snapshot_url=FLAGS.snapshot_url or None,
        cache_dir=cache_dir,
        timeout=FLAGS.timeout,
    )


def main() -> None:
    app.run(lambda argv: run_cli(TOOL, _main, argv))


if __name__ == "__main__":
    main()
