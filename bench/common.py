"""What every benchmark section shares: the run context, result rows, logging and targets."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any, Callable, Optional

MIB = 1 << 20
GIB = 1 << 30
MB = 1_000_000  # throughput is reported in MB/s (10^6 bytes), sizes in MiB


class ToolFailed(Exception):
    """A measured or helper command failed: the run goes on but exits 1."""


@dataclasses.dataclass(frozen=True)
class Context:
    repo: str  # the workspace root (/workspace inside the build environment)
    cache: str  # generated inputs, reused across runs
    work: str  # this run's scratch outputs, removed at the end
    scale: float  # REPROIMAGE_BENCH_SCALE
    nproc: int  # CPUs this process may use
    repeat: int  # timed runs per measurement; the fastest counts

    def tool(self, package: str, name: str) -> str:
        """The launcher `bazel build //tools/<package>:<name>` wrote."""
        return os.path.join(self.repo, "bazel-bin", "tools", package, name)

    def scaled(self, size: int, minimum: int = 1) -> int:
        return max(minimum, round(size * self.scale))


@dataclasses.dataclass
class Row:
    """One line of the table: a measurement (seconds, MB/s, RSS) or a check (ratio vs target)."""

    section: str
    case: str
    seconds: Optional[float] = None
    mb_per_s: Optional[float] = None
    ratio: Optional[str] = None  # the compared value, as displayed ("1.93x", "+0.4%")
    target: Optional[str] = None
    passed: Optional[bool] = None  # None: informative, no target
    peak_rss_kib: Optional[int] = None
    notes: str = ""
    error: Optional[str] = None
    details: list[str] = dataclasses.field(default_factory=list)  # printed under the table
    raw: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def result(self) -> str:
        if self.error is not None:
            return "ERROR"
        if self.passed is None:
            return "n/a" if self.target else ""
        return "PASS" if self.passed else "MISS"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def mb_per_s(input_bytes: int, seconds: float) -> float:
    return input_bytes / MB / seconds if seconds > 0 else float("inf")


def check(section: str, case: str, value: Optional[float], text: Callable[[float], str], target: str,
          ok: Callable[[float], bool], notes: str = "") -> Row:
    """A target row; `value` None (an input measurement failed) shows as n/a."""
    if value is None:
        return Row(section, case, target=target, notes=notes or "a measurement it needs failed")
    return Row(section, case, ratio=text(value), target=target, passed=ok(value), notes=notes,
               raw={"value": value})


def error_row(section: str, case: str, error: Exception) -> Row:
    return Row(section, case, error=str(error), notes=str(error).splitlines()[0][:200])
