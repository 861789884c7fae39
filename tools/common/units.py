"""How sizes and durations read in every message of the project (the shell scripts use the same
format, from scripts/format.sh)."""

from __future__ import annotations

_UNITS = ("KiB", "MiB", "GiB", "TiB")


def human_size(size: int) -> str:
    """`512 B`, `4 KiB`, `17.3 MiB`, `2 GiB`: powers of 1024, one decimal unless the value is whole."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"


def human_duration(seconds: float) -> str:
    """`0.4s`, `12.3s`, `3m07s`: tenths below a minute, whole seconds from a minute on."""
    if seconds < 59.95:  # what would round to 60.0s reads as 1m00s
        return f"{seconds:.1f}s"
    whole = max(60, int(seconds))
    return f"{whole // 60}m{whole % 60:02d}s"
