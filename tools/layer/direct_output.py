"""Uncompressed layers written straight into a regular file, file contents copied by the kernel.

An uncompressed layer is the tar itself, so its bytes need not pass through this process: file
contents go from input to output with copy_file_range (in-kernel, a reflink where the file
system can), headers and small files with plain writes. The digest is computed in a thread of
its own from exactly what reached the file: the buffers once fully written, and what the kernel
copied by reading it back (mmap of the output). Used only when the output is a regular file;
pipes take the chunked path.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
from typing import BinaryIO, Optional

from tools.layer.pipeline import Stage
from tools.layer.stream import ReadInto, pump

_BUFFER = 1 << 20
# Copies go in steps so hashing the first step overlaps copying the next.
_COPY_STEP = 64 << 20
# The output is read back through windows of this size, so mapped pages (which count as resident
# memory) stay few however large the layer.
_HASH_WINDOW = 16 << 20


def supported(out: BinaryIO) -> bool:
    """Whether `out` is a regular file we can reopen for reading (Linux /proc)."""
    try:
        fd = out.fileno()
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.path.exists(f"/proc/self/fd/{fd}")
    except (AttributeError, OSError, ValueError):
        return False


class DirectWriter:
    """The ChunkWriter interface, writing into `out` (a regular file) without chunking."""

    def __init__(self, out: BinaryIO) -> None:
        out.flush()
        self._fd = out.fileno()
        self._start = os.lseek(self._fd, 0, os.SEEK_CUR)
        self._reader = os.open(f"/proc/self/fd/{self._fd}", os.O_RDONLY | os.O_CLOEXEC)
        self._buffer = bytearray()
        self.total = 0
        self._sha256 = hashlib.sha256()
        self._hashed = 0
        self._hasher = Stage(self._hash, "layer-hash")

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= _BUFFER:
            self._flush()

    def copy_from(self, readinto: ReadInto, size: int, what: str) -> None:
        pump(readinto, size, self.write, what)

    def copy_file(self, src_fd: int, size: int, what: str) -> None:
        """Appends the first `size` bytes of `src_fd` (a regular file), copied in the kernel."""
        self._flush()
        copied = 0
        while copied < size:
            try:
                count = os.copy_file_range(src_fd, self._fd, min(size - copied, _COPY_STEP), copied)
            except OSError:
                count = -1  # not supported between these files: copy through this process
            if count <= 0:
                break
            copied += count
            self._hasher.put(self.total + copied)
        if copied < size:
            os.lseek(src_fd, copied, os.SEEK_SET)
            self.total += copied
            self._hasher.put(self.total)
            self.copy_from(lambda view: os.readv(src_fd, [view]), size - copied, what)
            self._flush()
            return
        self.total += size
        self._hasher.put(self.total)

    def _flush(self) -> None:
        buffer = self._buffer
        if not buffer:
            return
        view = memoryview(buffer)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.total += len(buffer)
        self._buffer = bytearray()
        # Every byte of it is now in the file: hashing the buffer hashes exactly those bytes, and
        # spares mapping them back in (a page fault per 4 KiB, which headers and small files are).
        self._hasher.put(buffer)

    def _hash(self, item: "bytearray | int") -> None:
        """Hashes a buffer just written, or the output (copied by the kernel) up to offset `item`."""
        if isinstance(item, int):
            self._hash_until(item)
        else:
            self._sha256.update(item)
            self._hashed += len(item)

    def _hash_until(self, end: int) -> None:
        """Hashes the output from where hashing stopped up to `end` (bytes since the start)."""
        while self._hashed < end:
            start = self._start + self._hashed
            aligned = start - start % mmap.ALLOCATIONGRANULARITY
            stop = min(self._start + end, aligned + _HASH_WINDOW)
            with mmap.mmap(self._reader, stop - aligned, access=mmap.ACCESS_READ, offset=aligned) as m:
                with memoryview(m) as view, view[start - aligned :] as part:
                    self._sha256.update(part)
            self._hashed = stop - self._start

    def finish(self) -> tuple[str, int]:
        """(sha256 hex of everything written, size); closes the reader."""
        self._flush()
        self._hasher.close()
        self._close_reader()
        return self._sha256.hexdigest(), self.total

    def abort(self) -> None:
        try:
            self._hasher.close()
        except BaseException:  # the failure that made us abort is the one to report
            pass
        self._close_reader()

    def _close_reader(self) -> None:
        if self._reader >= 0:
            os.close(self._reader)
            self._reader = -1
