"""Reads Bazel's --execution_log_json_file: the spawns a build ran, with mnemonic, target and wall time."""

from __future__ import annotations

import json
from typing import Any, Optional


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The execution log is a sequence of JSON objects, not one JSON document."""
    decoder = json.JSONDecoder()
    objects, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return objects
        obj, index = decoder.raw_decode(text, index)
        objects.append(obj)


def read_execution_log(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return _json_objects(f.read())


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
