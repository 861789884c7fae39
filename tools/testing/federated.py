"""The federated computations the JNI services do, written independently in Python for tests.

Test support only: the services compute these in native code (libaggregation-jni.so, C++) and
in TensorFlow; these are the same formulas in plain double precision, rounded to float32 once
(as the library documents), to check the services' answers against.
"""

from __future__ import annotations

import math
import struct
from typing import Sequence


def float32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def clipped_mean(updates: Sequence[tuple[float, Sequence[float]]], clip_norm: float = math.inf) -> list[float]:
    """sum_i(w_i * c_i * u_i) / sum_i(w_i), c_i = min(1, clip_norm / ||u_i||), in float64."""
    total = sum(weight for weight, _ in updates)
    size = len(updates[0][1])
    out = [0.0] * size
    for weight, values in updates:
        norm = math.sqrt(sum(v * v for v in values))
        scale = 1.0 if norm <= clip_norm else clip_norm / norm
        for k, v in enumerate(values):
            out[k] += weight * scale * v
    return [v / total for v in out]


def l2_norm(values: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in values))


def update(weight: float, values: Sequence[float], name: str = "w") -> dict:
    """One client update as the services' JSON carries it (one tensor)."""
    return {"weight": weight, "tensors": [{"name": name, "shape": [len(values)], "values": list(values)}]}
