"""Resolves a Maven dependency-set manifest into a lock file.

    bazel run //toolchains/maven:<name>.lock
    python3 -m tools.maven.maven_lock --manifest toolchains/maven/<name>.toml \\
        --lock toolchains/maven/<name>.lock.json

Relative paths are resolved against BUILD_WORKSPACE_DIRECTORY when set (bazel run). The lock is
only written when every POM and artifact was found and verified; a failed run prints one line
and leaves the previous lock untouched.
"""

from __future__ import annotations

import concurrent.futures
import ssl
import time
from typing import Sequence

from absl import app, flags

from tools.common.errors import UserError, run_cli
from tools.common.lock_files import check_lock_path, workspace_path
from tools.maven.lockfile import build_lock, write_lock
from tools.maven.manifest import Manifest, load_manifest
from tools.maven.model_builder import ModelBuilder
from tools.maven.pom_source import PomSource
from tools.maven.repository import Fetched, MissingArtifact, Repositories, default_cache_dir
from tools.maven.resolver import Resolved, resolve
from tools.maven.transport import DEFAULT_TIMEOUT, HttpClient

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "Manifest (.toml) to resolve.")
flags.DEFINE_string("lock", None, "Lock file (.lock.json) to write.")
flags.DEFINE_multi_string("repository", [], "Repository base URL; repeatable; replaces the manifest's repositories.")
flags.DEFINE_string("cache_dir", None, "Cache of verified downloads (default: $XDG_CACHE_HOME/tools-maven); empty disables.")
flags.DEFINE_float("timeout", DEFAULT_TIMEOUT, "Network timeout per request, in seconds.")
flags.DEFINE_integer("jobs", 8, "Parallel downloads.")
flags.DEFINE_string("ca_file", None, "CA certificates (PEM) to trust for https repositories instead of the system's.")

TOOL = "maven_lock"


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def _download_all(repositories: Repositories, resolved: list[Resolved],
                  pool: concurrent.futures.Executor) -> dict[str, Fetched]:
    futures = {r.artifact.key.lock_key: pool.submit(repositories.fetch, r.artifact.path) for r in resolved}
    files = {}
    for r in resolved:
        key = r.artifact.key.lock_key
        try:
            files[key] = futures[key].result()
        except MissingArtifact as e:
            via = f" (required by {' -> '.join(str(a) for a in r.path[:-1])})" if len(r.path) > 1 else ""
            raise UserError(f"{r.artifact}{via}: {MissingArtifact(e.path, e.urls, f'the {r.artifact.key.extension}')}") from None
    return files


def lock_manifest(
    manifest_path: str,
    lock_path: str,
    *,
    repositories: Sequence[str] = (),
    cache_dir: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 8,
    ca_file: str | None = None,
) -> dict:
    """Library entry point of the CLI: resolves `manifest_path` and writes `lock_path`."""
    started = time.monotonic()
    manifest = load_manifest(manifest_path)
    check_lock_path(lock_path)
    urls = list(repositories) or list(manifest.repositories)
    try:
        client = HttpClient(timeout=timeout, ca_file=ca_file)
    except (OSError, ssl.SSLError) as e:
        raise UserError(f"cannot use --ca_file {ca_file}: {e}") from None
    repos = Repositories(urls, client, cache_dir)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="maven") as pool:
        try:
            resolved, poms = _resolve(manifest, repos, pool)
            resolved_at = time.monotonic()
            files = _download_all(repos, resolved, pool)
        except UserError as e:
            message = str(e)
            raise UserError(message if message.startswith(manifest.path) else f"{manifest.path}: {message}") from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    lock = build_lock(manifest_sha256=manifest.sha256, repositories=urls, resolved=resolved, files=files)
    write_lock(lock_path, lock)
    elapsed = time.monotonic() - started
    runtime = [k for k, a in lock["artifacts"].items() if a["closure"] == "runtime"]
    runtime_size = sum(lock["artifacts"][k]["size"] for k in runtime)
    total = sum(a["size"] for a in lock["artifacts"].values())
    print(
        f"{TOOL}: locked {len(lock['artifacts'])} artifacts ({len(runtime)} runtime, {_mib(runtime_size)}; "
        f"{len(lock['artifacts']) - len(runtime)} test only), total {_mib(total)}, from {poms} POMs, "
        f"in {elapsed:.1f}s (resolution {resolved_at - started:.1f}s) -> {lock_path}"
    )
    return lock


def _resolve(manifest: Manifest, repos: Repositories,
             pool: concurrent.futures.Executor) -> tuple[list[Resolved], int]:
    source = PomSource(repos, pool)
    models = ModelBuilder(source.raw, java_version=manifest.jdk, prefetch=source.prefetch)
    resolved = resolve(models, manifest.project, prefetch=source.prefetch)
    return resolved, source.used


def _main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not FLAGS.manifest or not FLAGS.lock:
        raise UserError("--manifest and --lock are required")
    cache_dir = default_cache_dir() if FLAGS.cache_dir is None else (FLAGS.cache_dir or None)
    try:
        lock_manifest(
            workspace_path(FLAGS.manifest),
            workspace_path(FLAGS.lock),
            repositories=FLAGS.repository,
            cache_dir=cache_dir,
            timeout=FLAGS.timeout,
            jobs=FLAGS.jobs,
            ca_file=workspace_path(FLAGS.ca_file) if FLAGS.ca_file else None,
        )
    except OSError as e:
        # Local I/O (the lock's directory, the cache): still one line, never a traceback.
        raise UserError(f"cannot write {e.filename or 'output'}: {e.strerror}") from None


def main() -> None:
    app.run(lambda argv: run_cli(TOOL, _main, argv))


if __name__ == "__main__":
    main()
