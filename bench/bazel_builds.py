"""Section `bazel`: cold, no-op and one-line-change builds of the real project.

In the workspace with its default output base: `bazel clean` (the repository cache and fetched
external repositories stay), then `bazel build //:image_hashes` (cold), the same again (no-op),
then for each kind of service source (Python, Java, C++) with a line appended to one file
(incremental) and with the file restored byte for byte (incremental back). The repository
cache and the fetched repositories stay, so the cold build is the seven images' build with a
warm repository cache. The edited file is restored whatever happens: a
`finally`, SIGINT/SIGTERM/SIGHUP turned into exceptions, and a backup in the cache that the
next run puts back if this process was killed outright.

The actions an incremental build ran come from `--execution_log_json_file` (spawns only:
Bazel-internal actions such as symlinks and file writes are not processes and do not appear).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from types import FrameType
from typing import Iterator, Optional

from bench.common import Context, Row, ToolFailed, check, log
from bench.measure import remove, run_checked
from bench.execlog import walltime_seconds
from tools.actionkey.execution_log import read_log_objects

SECTION = "bazel"
TARGET = "//:image_hashes"
# One source file per kind of service, and a line that changes what it compiles to (a comment
# would do for Python, whose sources are the layer; javac drops comments, so Java gets a class).
EDITS = {
    "shuffler/services/taskbuilder/task_builder_lib.py":
        b"# reproimage bench: a one-line change, removed again by bench/bazel_builds.py\n",
    "shuffler/services/collector/src/main/java/org/fcp/shuffler/collector/ReportLedger.java":
        b"final class ReproimageBenchEdit {}  // removed again by bench/bazel_builds.py\n",
    # The native library of the three JNI images: a function, so the .so (and its layers) change.
    "shuffler/native/aggregation/aggregation.cc":
        b'extern "C" int reproimage_bench_edit() { return 1; }  // removed again by bench/bazel_builds.py\n',
}
NOOP_TARGET_S, INCREMENTAL_TARGET_S = 2.0, 15.0


class _Interrupted(BaseException):
    pass


def _raise_interrupted(signum: int, frame: Optional[FrameType]) -> None:
    raise _Interrupted(f"signal {signum}")


def _backup_path(ctx: Context, edited: str) -> str:
    return os.path.join(ctx.cache, "bazel-edit-backup", os.path.basename(edited))


def recover_previous_edit(ctx: Context) -> None:
    """A run killed with SIGKILL may have left an edit behind: undo exactly that edit."""
    for edited, line in EDITS.items():
        backup, path = _backup_path(ctx, edited), os.path.join(ctx.repo, edited)
        if not os.path.exists(backup):
            continue
        with open(backup, "rb") as f:
            original = f.read()
        with open(path, "rb") as f:
            current = f.read()
        if current == original + line:
            log(f"bazel: restoring {edited} left modified by an interrupted run")
            _write(path, original)
        os.unlink(backup)


def _write(path: str, data: bytes) -> None:
    with open(path, "r+b") as f:  # same inode and mode: only the bytes change back
        f.write(data)
        f.truncate()


@contextlib.contextmanager
def appended_line(ctx: Context, edited: str) -> Iterator[None]:
    """`edited` with its EDITS line appended, for the duration of the block; restored byte for byte."""
    path = os.path.join(ctx.repo, edited)
    with open(path, "rb") as f:
        original = f.read()
    backup = _backup_path(ctx, edited)
    os.makedirs(os.path.dirname(backup), exist_ok=True)
    with open(backup, "wb") as f:
        f.write(original)
    handlers = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        _write(path, original + EDITS[edited])
        yield
    finally:
        _write(path, original)
        with open(path, "rb") as f:
            restored = f.read() == original
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if restored:
            os.unlink(backup)
        else:
            raise ToolFailed(f"could not restore {path}; its original is in {backup}")


def _processes_line(log_text: str) -> str:
    lines = re.findall(r"INFO: \d+ process(?:es)?[^\n]*", log_text)
    return lines[-1].removeprefix("INFO: ").rstrip(".") if lines else ""


def _analysis_line(log_text: str) -> str:
    lines = re.findall(r"INFO: Analyzed [^\n]*", log_text)
    return lines[-1].removeprefix("INFO: ").rstrip(".") if lines else ""


def build(ctx: Context, name: str) -> tuple[float, str, list[str]]:
    """Times `bazel build TARGET`; returns seconds, Bazel's summary lines, the spawns it ran.

    The execution log flag does not change the build configuration: the no-op build after a
    build with it reports "0 targets configured".
    """
    log_path = os.path.join(ctx.work, f"bazel_{name}.log")
    exec_log_path = os.path.join(ctx.work, f"bazel_{name}.exec.json")
    command = ["bazel", "build", TARGET, f"--execution_log_json_file={exec_log_path}", "--noexecution_log_sort"]
    remove(log_path)
    start = time.monotonic()
    run_checked(command, cwd=ctx.repo, log_path=log_path)
    seconds = time.monotonic() - start
    with open(log_path, encoding="utf-8") as f:
        text = f.read()
    summary = "; ".join(s for s in (_analysis_line(text), _processes_line(text)) if s)
    return seconds, summary, executed_actions(exec_log_path)


def executed_actions(exec_log_path: str) -> list[str]:
    actions = []
    for spawn in read_log_objects(exec_log_path):
        if spawn.get("cacheHit"):
            continue
        wall = walltime_seconds(spawn)
        timing = f" ({wall:.2f} s)" if wall is not None else ""
        actions.append(f"{spawn.get('mnemonic', '?')} {spawn.get('targetLabel', '?')}{timing}")
    remove(exec_log_path)
    return sorted(actions)


def _build_row(case: str, seconds: float, summary: str, actions: list[str]) -> Row:
    details = [f"bazel: {case}: {len(actions)} spawn(s) executed"] + [f"    {a}" for a in actions]
    return Row(SECTION, case, seconds=seconds, notes=summary, details=details if actions else [],
               raw={"seconds": seconds, "summary": summary, "actions": actions})


def run(ctx: Context) -> list[Row]:
    recover_previous_edit(ctx)
    log("bazel: bazel clean")
    run_checked(["bazel", "clean"], cwd=ctx.repo)
    log(f"bazel: cold build {TARGET} (may take minutes)")
    cold = build(ctx, "cold")
    log("bazel: no-op rebuild")
    noop = build(ctx, "noop")
    rows = [
        _build_row(f"cold build {TARGET} after bazel clean", *cold),
        _build_row("no-op rebuild", *noop),
        check(SECTION, "no-op rebuild time", noop[0], lambda v: f"{v:.2f} s", f"< {NOOP_TARGET_S:g} s",
              lambda v: v < NOOP_TARGET_S),
    ]
    for edited in EDITS:
        name = os.path.basename(edited)
        with appended_line(ctx, edited):
            log(f"bazel: rebuild after appending a comment line to {edited}")
            changed = build(ctx, "changed")
        log(f"bazel: rebuild after restoring {edited}")
        restored = build(ctx, "restored")
        rows += [
            _build_row(f"one-line change in {name}", *changed),
            check(SECTION, f"one-line change rebuild time ({name})", changed[0], lambda v: f"{v:.2f} s",
                  f"< {INCREMENTAL_TARGET_S:g} s", lambda v: v < INCREMENTAL_TARGET_S),
            _build_row(f"rebuild after restoring {name}", *restored),
        ]
    return rows
