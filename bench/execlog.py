"""What the benchmarks take from a spawn of Bazel's --execution_log_json_file (read by
tools/actionkey/execution_log.read_log_objects): its wall time."""

from __future__ import annotations

from typing import Any, Optional


def _duration(value: Any) -> Optional[float]:
    """A protobuf Duration in JSON: "12.345s"."""
    return float(value[:-1]) if isinstance(value, str) and value.endswith("s") else None


def walltime_seconds(spawn: dict[str, Any]) -> Optional[float]:
    """The spawn's execution wall time (Bazel 7: metrics.executionWallTime; older: walltime)."""
    metrics = spawn.get("metrics") or {}
    for value in (metrics.get("executionWallTime"), metrics.get("totalTime"), spawn.get("walltime")):
        seconds = _duration(value)
        if seconds is not None:
            return seconds
    return None
