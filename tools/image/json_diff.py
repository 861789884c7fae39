"""Structural differences between two JSON values, as key paths like `config.Env[2]`."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Iterator


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


@dataclasses.dataclass(frozen=True)
class ValueDiff:
    path: str
    a: Any  # ABSENT when the key or index exists only in B
    b: Any

    def render(self) -> str:
        return f"{self.path}: {render_value(self.a)} != {render_value(self.b)}"

    def to_json(self) -> dict[str, Any]:
        """`a`/`b` are null where the key is absent on that side (`absent` says which)."""
        absent = [side for side, value in (("a", self.a), ("b", self.b)) if value is ABSENT]
        return {"path": self.path, "a": None if self.a is ABSENT else self.a,
                "b": None if self.b is ABSENT else self.b, "absent": absent}


def render_value(value: Any, limit: int = 160) -> str:
    if value is ABSENT:
        return "<absent>"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def diff_json(a: Any, b: Any, path: str = "") -> Iterator[ValueDiff]:
    """Yields the leaves where `a` and `b` differ, keys in sorted order, lists by index."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from diff_json(a.get(key, ABSENT), b.get(key, ABSENT), _join(path, key))
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            yield from diff_json(a[i] if i < len(a) else ABSENT, b[i] if i < len(b) else ABSENT, f"{path}[{i}]")
    elif type(a) is not type(b) or a != b:
        # `type` check: JSON true and 1 are different values even though Python says True == 1.
        yield ValueDiff(path, a, b)
