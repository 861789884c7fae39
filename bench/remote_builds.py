"""Section `remote`: the seven images built locally and on the local remote-execution cluster.

Each build runs in the workspace with an output root of its own under the run's work directory
(fresh: no output base, no disk cache; the repository cache stays), `bazel build //:image_hashes`:

1. cold, local (linux-sandbox on this machine): the baseline;
2. cold, `--config=remote` on a freshly restarted cluster (scripts/remote_cluster.sh: its
   action cache lives in memory, so a restart empties it), two workers;
3. `--config=remote` again in another fresh output root: every action a remote cache hit.

Ratios are against the local cold build of the same run. The cluster shares this machine's
cores, so remote execution measures its overhead here, not a speed-up.
"""

from __future__ import annotations

import os
import time

from bench.bazel_builds import TARGET, _processes_line
from bench.common import Context, Row, ToolFailed, error_row, log
from bench.measure import remove, run_checked

SECTION = "remote"


def _cluster(ctx: Context, command: str) -> str:
    return run_checked([os.path.join(ctx.repo, "scripts", "remote_cluster.sh"), command], cwd=ctx.repo).strip()


def _build(ctx: Context, name: str, flags: list[str]) -> tuple[float, str]:
    root = os.path.join(ctx.work, f"remote_{name}")
    log_path = os.path.join(ctx.work, f"remote_{name}.log")
    remove(log_path)
    start = time.monotonic()
    try:
        run_checked(["bazel", f"--output_user_root={root}", "build", TARGET, *flags], cwd=ctx.repo, log_path=log_path)
        seconds = time.monotonic() - start
    finally:
        run_checked(["bazel", f"--output_user_root={root}", "shutdown"], cwd=ctx.repo)
    with open(log_path, encoding="utf-8") as f:
        return seconds, _processes_line(f.read())


def run(ctx: Context) -> list[Row]:
    log(f"remote: cold local build {TARGET} in a fresh output root (may take minutes)")
    local = _build(ctx, "local", [])
    rows = [Row(SECTION, f"cold build {TARGET}, local (baseline)", seconds=local[0], notes=local[1])]
    _cluster(ctx, "stop")
    address = _cluster(ctx, "start")
    remote_flags = ["--config=remote", f"--remote_executor={address}"]
    try:
        for name, case in (("cold", "cold build, remote execution (two workers)"),
                           ("hits", "fresh output base, remote cache hits")):
            log(f"remote: {case} at {address}")
            try:
                seconds, summary = _build(ctx, name, remote_flags)
            except ToolFailed as e:  # the local baseline still counts; the run exits 1
                rows.append(error_row(SECTION, case, e))
                continue
            rows.append(Row(SECTION, case, seconds=seconds, ratio=f"{seconds / local[0]:.2f}x", notes=summary,
                            raw={"seconds": seconds, "vs_local": seconds / local[0], "summary": summary}))
    finally:
        _cluster(ctx, "stop")
    return rows
