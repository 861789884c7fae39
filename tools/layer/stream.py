"""Cuts the tar stream into fixed-size chunks without per-byte Python work.

File contents are read with `readinto` straight into the chunk being filled, so
each byte is copied once from the kernel and then only seen by hashlib/zlib.
"""

from __future__ import annotations

from typing import Callable

from tools.common.errors import UserError

CHUNK_SIZE = 1 << 20

ReadInto = Callable[[memoryview], "int | None"]


def pump(readinto: ReadInto, size: int, sink: Callable[[memoryview], object], what: str) -> None:
    """Reads exactly `size` bytes with `readinto` through one reused buffer, handing each piece
    to `sink` (which must not keep it); fails if the source ends early."""
    buffer = memoryview(bytearray(min(CHUNK_SIZE, max(size, 1))))
    remaining = size
    while remaining:
        count = readinto(buffer[: min(remaining, len(buffer))])
        if not count:
            raise UserError(f"{what}: ended {remaining} bytes early; did it change while the layer was written?")
        sink(buffer[:count])
        remaining -= count


class ChunkWriter:
    """Collects written bytes into `chunk_size` chunks and hands each full chunk to `consume`.

    Every chunk handed over is a view of a fresh bytearray that is never written
    again, so a consumer may keep it (e.g. while a worker thread compresses it).
    """

    def __init__(self, consume: Callable[[memoryview], None], chunk_size: int = CHUNK_SIZE) -> None:
        self._consume = consume
        self._chunk_size = chunk_size
        self._view = memoryview(bytearray(chunk_size))
        self._pos = 0

    def _hand_over(self) -> None:
        self._consume(self._view[: self._pos])
        self._view = memoryview(bytearray(self._chunk_size))
        self._pos = 0

    def write(self, data: bytes) -> None:
        """Appends `data` (headers, padding, small in-memory contents)."""
        pos = self._pos
        end = pos + len(data)
        if end < self._chunk_size:  # the common case, once per header and small file: no views
            self._view[pos:end] = data
            self._pos = end
            return
        view = memoryview(data)
        while view:
            count = min(len(view), self._chunk_size - self._pos)
            self._view[self._pos : self._pos + count] = view[:count]
            self._pos += count
            view = view[count:]
            if self._pos == self._chunk_size:
                self._hand_over()

    def copy_from(self, readinto: ReadInto, size: int, what: str) -> None:
        """Appends exactly `size` bytes read with `readinto`; fails if the source ends early."""
        remaining = size
        while remaining:
            end = min(self._chunk_size, self._pos + remaining)
            count = readinto(self._view[self._pos : end])
            if not count:
                raise UserError(f"{what}: ended {remaining} bytes early; did it change while the layer was written?")
            self._pos += count
            remaining -= count
            if self._pos == self._chunk_size:
                self._hand_over()

    def close(self) -> None:
        """Hands over the last, partial chunk."""
        if self._pos:
            self._hand_over()
