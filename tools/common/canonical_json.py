"""Canonical JSON: the single encoding used for every JSON byte that reaches a digest."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8, no trailing newline."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def dumps_readable(value: Any) -> bytes:
    """The committed form of a lock: sorted keys, 2-space indentation, UTF-8, trailing newline.

    Like `dumps`, a pure function of the value (the same data always gives the same bytes), but
    reviewable in diffs.
    """
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
