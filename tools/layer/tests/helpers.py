"""Helpers shared by the layer tests: deterministic sample data, running the CLI, reading layers."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
from typing import Optional, Sequence

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

_WORDS = (
    b"layer image digest tar gzip zstd bazel reproducible container manifest config entry header "
    b"directory symlink hardlink mode owner mtime stream block deflate dictionary thread python "
    b"the of and a to in is that for it as with was on be at by this from or have an they which"
).split()


def sample_data(size: int, seed: bytes = b"sample") -> bytes:
    """Semi-compressible bytes (text-like lines with some noise), identical on every Python."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        h = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
        words = [_WORDS[b % len(_WORDS)] for b in h[:12]]
        out += b" ".join(words)
        if h[12] < 40:
            out += h[13:]  # incompressible noise
        out += b"\n"
    return bytes(out[:size])


def run_cli(args: Sequence[str], *, cwd: Optional[str] = None, env: Optional[dict] = None,
            python: str = sys.executable) -> subprocess.CompletedProcess:
    """Runs `python -m tools.layer.layer_writer ARGS` with the repository on PYTHONPATH.

    The child also gets this process's sys.path, so it finds absl-py wherever the test runner
    found it (site-packages here, external repositories under Bazel).
    """
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + [p for p in sys.path if p])
    return subprocess.run([python, "-m", "tools.layer.layer_writer", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True)


def layer_bytes(builder, compression: str = "none", **kwargs) -> tuple[bytes, object]:
    out = io.BytesIO()
    descriptor = builder.write(out, compression=compression, **kwargs)
    return out.getvalue(), descriptor


def read_tar(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        return archive.getmembers()


def tar_contents(data: bytes) -> dict[str, bytes]:
    result = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for member in archive.getmembers():
            if member.isreg():
                f = archive.extractfile(member)
                assert f is not None
                result[member.name] = f.read()
    return result


def gunzip(data: bytes) -> bytes:
    return gzip.decompress(data)
