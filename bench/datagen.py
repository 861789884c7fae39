"""Deterministic benchmark inputs, generated once into the cache and reused.

"Semi-compressible" bytes imitate binaries and libraries: gzip -6 shrinks them about 2.5x, zstd -3
and xz -6 about 2.6x. A small library of 64 KiB blocks is built from a seeded PRNG out of three
kinds of segments (random bytes, word-like text, copies of earlier bytes within deflate's
32 KiB window). The stream then picks library blocks and passes each through a fresh random
byte permutation: that keeps a block's entropy and match structure (so its compression ratio)
but makes every block distinct, so compressors with long windows (zstd, xz) cannot exploit
repeats that real data would not have. The stream is fast (bytes.translate, no per-byte Python).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import shutil
from typing import Iterator, Optional

BLOCK_SIZE = 64 << 10
_LIBRARY_BLOCKS = 64
_P_RANDOM = 0.12  # share of segments that are random bytes
_P_COPY = 0.45  # share of segments that copy earlier bytes (LZ matches)
_LETTERS = b"etaoinshrdlcumwfgypbvkjxqz"
_LETTER_WEIGHTS = (12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0,
                   1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07)
_SEPARATORS = b"   \n,.(_=/"
# Bump when the bytes generated for a given spec change, so stale cache entries are not reused.
GENERATOR_VERSION = 1


def _library_block(rng: random.Random, words: list[bytes]) -> bytes:
    out = bytearray()
    while len(out) < BLOCK_SIZE:
        kind = rng.random()
        length = rng.randint(16, 512)
        if kind < _P_RANDOM:
            out += rng.randbytes(length)
        elif kind < _P_RANDOM + _P_COPY and len(out) > 1024:
            start = rng.randrange(max(0, len(out) - 30000), len(out) - 64)
            out += out[start:start + min(length, len(out) - start)]
        else:
            segment = bytearray()
            while len(segment) < length:
                segment += rng.choice(words)
                segment.append(rng.choice(_SEPARATORS))
            out += segment
    return bytes(out[:BLOCK_SIZE])


def _library(seed: int) -> list[bytes]:
    rng = random.Random(f"library-{seed}")
    words = [bytes(rng.choices(_LETTERS, _LETTER_WEIGHTS, k=rng.randint(2, 9))) for _ in range(2000)]
    return [_library_block(rng, words) for _ in range(_LIBRARY_BLOCKS)]


class SemiCompressible:
    """An endless deterministic stream of semi-compressible bytes."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"stream-{seed}")
        self._library = _library(seed)
        self._pending = b""

    def _block(self) -> bytes:
        permutation = list(range(256))
        self._rng.shuffle(permutation)
        return self._rng.choice(self._library).translate(bytes(permutation))

    def read(self, size: int) -> bytes:
        parts = [self._pending]
        have = len(self._pending)
        while have < size:
            block = self._block()
            parts.append(block)
            have += len(block)
        data = b"".join(parts)
        self._pending = data[size:]
        return data[:size]


class RandomBytes:
    """An endless deterministic stream of incompressible bytes."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"random-{seed}")

    def read(self, size: int) -> bytes:
        return self._rng.randbytes(size)


@dataclasses.dataclass(frozen=True)
class TreeSpec:
    """A directory tree of generated files (paths relative to the tree, '/'-separated)."""

    name: str
    seed: int
    files: tuple[tuple[str, int], ...]
    incompressible: bool = False

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    @property
    def key(self) -> str:
        identity = json.dumps([GENERATOR_VERSION, self.seed, self.incompressible, self.files])
        return f"{self.name}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def _write_files(root: str, spec: TreeSpec) -> None:
    stream = RandomBytes(spec.seed) if spec.incompressible else SemiCompressible(spec.seed)
    for relative, size in spec.files:
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            remaining = size
            while remaining:
                chunk = stream.read(min(remaining, 8 << 20))
                f.write(chunk)
                remaining -= len(chunk)


def cached_dir(cache: str, key: str) -> str:
    return os.path.join(cache, "inputs", key)


def materialize(cache: str, spec: TreeSpec) -> str:
    """The tree's directory in the cache, generated first if absent (atomically, by rename)."""
    final = cached_dir(cache, spec.key)
    if os.path.isdir(final):
        return final
    partial = f"{final}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    try:
        _write_files(partial, spec)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def iter_files(root: str) -> Iterator[str]:
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            yield os.path.join(directory, name)


def warm_page_cache(root: str) -> None:
    """Reads every file once so the first measured tool does not pay for cold disk reads."""
    for path in iter_files(root):
        with open(path, "rb", buffering=0) as f:
            while f.read(4 << 20):
                pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> Optional[int]:
    """The pid in `<name>.partial-<pid>`, `<name>.root-<pid>` or `run-<pid>-<random>`, if any."""
    base, sep, pid = name.rpartition("-")
    if sep and pid.isdigit() and base.endswith((".partial", ".root")):
        return int(pid)
    parts = name.split("-")
    if len(parts) >= 3 and parts[0] == "run" and parts[1].isdigit():
        return int(parts[1])
    return None


def remove_stale_partials(cache: str) -> None:
    """Removes what killed runs left behind: half-written inputs and scratch directories."""
    for directory, subdirs, names in os.walk(cache):
        for name in list(subdirs) + names:
            pid = _owner_pid(name)
            if pid is None or _pid_alive(pid):
                continue
            path = os.path.join(directory, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
                subdirs.remove(name)
            else:
                os.unlink(path)
        if os.path.basename(directory) in ("inputs", "pkg_tar", "layouts"):
            subdirs.clear()  # entries below are finished trees: do not walk 50,000 files

