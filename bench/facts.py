"""Machine facts recorded with every result: CPUs, memory, load, tool and library versions."""

from __future__ import annotations

import glob
import json
import os
import platform
import re
import subprocess
import sys
from typing import Any, Optional

from bench.common import Context

_VERSION_COMMANDS = {
    "gzip": ["gzip", "--version"],
    "tar": ["tar", "--version"],
    "pigz": ["pigz", "--version"],
    "zstd": ["zstd", "--version"],
    "xz": ["xz", "--version"],
    "dpkg-deb": ["dpkg-deb", "--version"],
    "sha256sum": ["sha256sum", "--version"],
    "bazel": ["bazel", "version"],
}

# Run by the interpreter the layer writer uses, with the writer's runfiles on sys.path.
_HERMETIC_PROBE = """
import json, sys, zlib
info = {"python": sys.version.split()[0], "zlib_runtime": zlib.ZLIB_RUNTIME_VERSION, "zlib_compiled": zlib.ZLIB_VERSION}
try:
    import zstandard
    info["zstandard"] = zstandard.__version__
    info["libzstd"] = ".".join(map(str, zstandard.ZSTD_VERSION))
except ImportError:
    pass
print(json.dumps(info))
"""


def _first_line(command: list[str]) -> Optional[str]:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            match = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.MULTILINE)
    except OSError:
        return platform.processor() or "unknown"
    return match.group(1).strip() if match else "unknown"


def memory_mib() -> Optional[int]:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            match = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) // 1024 if match else None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def hermetic_python(ctx: Context) -> Optional[str]:
    """The interpreter the layer_writer launcher runs (its PYTHON_BINARY, inside the runfiles)."""
    launcher = ctx.tool("layer", "layer_writer")
    try:
        with open(launcher, encoding="utf-8") as f:
            match = re.search(r"^PYTHON_BINARY = '([^']+)'", f.read(), re.MULTILINE)
    except OSError:
        return None
    return os.path.join(launcher + ".runfiles", match.group(1)) if match else None


def writer_libraries(ctx: Context) -> dict[str, Any]:
    python = hermetic_python(ctx)
    if python is None or not os.path.exists(python):
        return {"error": "layer_writer not built"}
    site = glob.glob(os.path.join(ctx.tool("layer", "layer_writer") + ".runfiles", "*zstandard*", "site-packages"))
    env = {"PYTHONPATH": os.pathsep.join(site), "PATH": os.environ.get("PATH", "")}
    try:
        result = subprocess.run([python, "-c", _HERMETIC_PROBE], capture_output=True, text=True, env=env,
                                timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        return {"error": str(e)}
    return {"interpreter": os.path.relpath(python, ctx.repo), **json.loads(result.stdout)}


def collect(ctx: Context, tools_built: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": ctx.nproc,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_mib": memory_mib(),
        "kernel": platform.release(),
        "load_average_start": load_average(),
        "bench_python": sys.version.split()[0],
        "tools": {name: _first_line(command) for name, command in _VERSION_COMMANDS.items()},
    }
    if tools_built:
        facts["layer_writer"] = writer_libraries(ctx)
    return facts
