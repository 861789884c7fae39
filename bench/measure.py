"""Runs commands and measures wall time and peak RSS (GNU time's %M of each process)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import subprocess
import tempfile
import time
from typing import BinaryIO, Callable, Mapping, Optional, Sequence

from bench.common import ToolFailed

_TAIL = 2000  # characters of a failed command's stderr to show
TIME = "/usr/bin/time"


@dataclasses.dataclass(frozen=True)
class Timing:
    seconds: float
    # The largest peak RSS (ru_maxrss) of the stages and their waited-for descendants: for a
    # pipeline the biggest stage, for a launcher script the interpreter it starts.
    peak_rss_kib: int


def run_timed(commands: Sequence[Sequence[str]], *, stdout: Optional[str] = None, cwd: Optional[str] = None,
              env: Optional[Mapping[str, str]] = None) -> Timing:
    """Runs `commands` as a pipeline (`a | b | c`), stdout of the last into `stdout` (default
    /dev/null); raises ToolFailed naming the first stage that failed.

    Each stage runs under `/usr/bin/time -f %M`: a process forked from this (large) Python
    process would report this process's RSS as its own peak, a child of the small `time` does
    not. Wall time is measured here, from the first start to the last exit. Pending writes
    (freshly generated inputs, the previous tool's output) are flushed first, untimed, so no
    command pays for another's writeback.
    """
    os.sync()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(stdout or os.devnull, "wb"))
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in commands]
        rss_files = [stack.enter_context(tempfile.NamedTemporaryFile(prefix="rss-")) for _ in commands]
        timed = [[TIME, "-f", "%M", "-o", rss.name, *command] for rss, command in zip(rss_files, commands)]
        start = time.monotonic()
        processes = _start_pipeline(timed, sink, errors, cwd, env)
        for process in processes:
            process.wait()
        seconds = time.monotonic() - start
        for command, process, error in zip(commands, processes, errors):
            if process.returncode != 0:
                raise ToolFailed(f"{shlex.join(command)} exited with {process.returncode}: {_tail(error)}")
        peak = max(_peak_rss_kib(rss.name) for rss in rss_files)
    return Timing(seconds, peak)


def _peak_rss_kib(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split()
    return int(lines[-1])  # after "Command exited with non-zero status N", if any


def _start_pipeline(commands: Sequence[Sequence[str]], sink: BinaryIO, errors: Sequence[BinaryIO],
                    cwd: Optional[str], env: Optional[Mapping[str, str]]) -> list[subprocess.Popen[bytes]]:
    processes: list[subprocess.Popen[bytes]] = []
    upstream: Optional[BinaryIO] = None
    try:
        for index, command in enumerate(commands):
            last = index == len(commands) - 1
            process = subprocess.Popen(
                list(command), stdin=upstream if upstream is not None else subprocess.DEVNULL,
                stdout=sink if last else subprocess.PIPE, stderr=errors[index], cwd=cwd,
                env=dict(env) if env is not None else None)
            if upstream is not None:
                upstream.close()  # only the next stage holds the pipe, so SIGPIPE works
            upstream = process.stdout
            processes.append(process)
    except OSError as e:
        for process in processes:
            process.kill()
            process.wait()
        raise ToolFailed(f"cannot start {shlex.join(commands[len(processes)])}: {e.strerror}") from None
    return processes


def _tail(error: BinaryIO) -> str:
    error.seek(0)
    text = error.read().decode("utf-8", "replace").strip()
    return text[-_TAIL:] if text else "(no stderr)"


def best_of(repeat: int, measure: Callable[[], Timing]) -> Timing:
    """The fastest of `repeat` runs (the least disturbed by other load); peak RSS is the highest."""
    timings = [measure() for _ in range(max(1, repeat))]
    return Timing(min(t.seconds for t in timings), max(t.peak_rss_kib for t in timings))


def run_checked(command: Sequence[str], *, cwd: Optional[str] = None, env: Optional[Mapping[str, str]] = None,
                log_path: Optional[str] = None) -> str:
    """Runs an untimed helper command; returns its stdout, raises ToolFailed with its stderr."""
    try:
        result = subprocess.run(list(command), cwd=cwd, env=dict(env) if env is not None else None,
                                stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except OSError as e:
        raise ToolFailed(f"cannot start {shlex.join(command)}: {e.strerror}") from None
    stderr = result.stderr.decode("utf-8", "replace")
    if log_path:
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(f"$ {shlex.join(command)}\n{stderr}\n")
    if result.returncode != 0:
        raise ToolFailed(f"{shlex.join(command)} exited with {result.returncode}: {stderr.strip()[-_TAIL:]}")
    return result.stdout.decode("utf-8", "replace")


def file_size(path: str) -> int:
    return os.stat(path).st_size


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
