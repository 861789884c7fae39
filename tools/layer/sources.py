"""Where a regular file's bytes come from: a file on disk, memory, or a span of a tar.

Sources are opened only while the layer is written (or hashed for a listing), so
memory stays proportional to the number of entries, never to their bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from typing import BinaryIO, Callable, Iterator, Optional, TypeVar

from tools.common.errors import UserError
from tools.layer.stream import ChunkWriter, ReadInto, pump

# Files up to this size are read whole in one system call.
_SMALL_FILE = 256 << 10
T = TypeVar("T")


def _hash(readinto: ReadInto, size: int, what: str) -> str:
    digest = hashlib.sha256()
    pump(readinto, size, digest.update, what)
    return digest.hexdigest()


def _reporting(function: Callable[..., T], what: str) -> Callable[..., T]:
    """`function`, with OSError turned into a UserError naming `what`."""

    def call(*args: object) -> T:
        try:
            return function(*args)
        except OSError as e:
            raise UserError(f"cannot read {what}: {e.strerror}") from None

    return call


class Source:
    """Bytes of one regular file, `size` long."""

    size: int
    _sha256: Optional[str] = None

    def describe(self) -> str:
        raise NotImplementedError

    @contextlib.contextmanager
    def open(self) -> Iterator[ReadInto]:
        raise NotImplementedError
        yield  # pragma: no cover

    def copy_into(self, writer: ChunkWriter) -> None:
        with self.open() as readinto:
            writer.copy_from(readinto, self.size, self.describe())

    def small_bytes(self) -> Optional[bytes]:
        """All the bytes if the source is small enough to be read in one go, else None."""
        return None

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to `size` bytes at `offset` (fewer at the end): what the content rule of modes reads."""
        raise NotImplementedError

    def sha256(self) -> str:
        """Hex digest of the bytes, computed once (duplicate checks and listings only)."""
        if self._sha256 is None:
            with self.open() as readinto:
                self._sha256 = _hash(readinto, self.size, self.describe())
        return self._sha256


class FileSource(Source):
    """A regular file on disk, read at write time; it must still have the size it had when added."""

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size

    def describe(self) -> str:
        return f"file {self.path!r}"

    def copy_into(self, writer: ChunkWriter) -> None:
        data = self.small_bytes()
        if data is not None:
            writer.write(data)
        elif hasattr(writer, "copy_file"):
            self._copy_file_into(writer)
        else:
            super().copy_into(writer)

    def small_bytes(self) -> Optional[bytes]:
        if self.size > _SMALL_FILE:
            return None
        # Small files (most of a typical tree) in three system calls: the per-file cost, not the
        # bytes, is what limits a layer of many small files. Asking for one byte more than expected
        # tells in the same call whether the file grew; a regular file reads short only at its
        # end, so getting exactly the expected bytes needs no second call to see the end.
        fd = self._open_fd()
        try:
            data = os.read(fd, self.size + 1)
            while len(data) < self.size:  # a file that shrank, or a file system that reads short
                piece = os.read(fd, self.size + 1 - len(data))
                if not piece:
                    break
                data += piece
        except OSError as e:
            raise UserError(f"cannot read input file {self.path!r}: {e.strerror}") from None
        finally:
            os.close(fd)
        if len(data) != self.size:
            raise UserError(
                f"input file {self.path!r} changed after it was added to the layer "
                f"(expected a regular file of {self.size} bytes, read {len(data)})"
            )
        return data

    def read_at(self, offset: int, size: int) -> bytes:
        fd = self._open_fd()
        try:
            return os.pread(fd, max(0, min(size, self.size - offset)), offset)
        except OSError as e:
            raise UserError(f"cannot read input file {self.path!r}: {e.strerror}") from None
        finally:
            os.close(fd)

    def _open_fd(self) -> int:
        # O_NONBLOCK keeps a file that was replaced by a FIFO from hanging the read.
        try:
            return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as e:
            raise UserError(f"cannot read input file {self.path!r}: {e.strerror}") from None

    def _check_unchanged(self, fd: int) -> None:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != self.size:
            raise UserError(
                f"input file {self.path!r} changed after it was added to the layer "
                f"(expected a regular file of {self.size} bytes)"
            )

    @contextlib.contextmanager
    def open(self) -> Iterator[ReadInto]:
        fd = self._open_fd()
        with os.fdopen(fd, "rb", buffering=0) as f:
            self._check_unchanged(fd)
            # Only errors of reading this file are its fault: errors raised by the consumer
            # (e.g. a full disk while writing the output) must pass through unchanged.
            yield _reporting(f.readinto, f"input file {self.path!r}")
            if _reporting(f.read, f"input file {self.path!r}")(1):
                raise UserError(f"input file {self.path!r} grew while the layer was written")

    def _copy_file_into(self, writer) -> None:
        """Large files into a DirectWriter: the kernel copies; we only check the size."""
        fd = self._open_fd()
        try:
            self._check_unchanged(fd)
            writer.copy_file(fd, self.size, f"input file {self.path!r}")
            if os.fstat(fd).st_size != self.size:
                raise UserError(f"input file {self.path!r} changed size while the layer was written")
        finally:
            os.close(fd)


class BytesSource(Source):
    """Contents given in memory (small generated files)."""

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.size = len(self.data)

    def describe(self) -> str:
        return f"{self.size} bytes given in memory"

    @contextlib.contextmanager
    def open(self) -> Iterator[ReadInto]:
        view = memoryview(self.data)
        position = 0

        def readinto(buffer: memoryview) -> int:
            nonlocal position
            count = min(len(buffer), len(view) - position)
            buffer[:count] = view[position : position + count]
            position += count
            return count

        yield readinto

    def copy_into(self, writer: ChunkWriter) -> None:
        writer.write(self.data)

    def small_bytes(self) -> Optional[bytes]:
        return self.data

    def read_at(self, offset: int, size: int) -> bytes:
        return self.data[offset : offset + size]

    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class SpanSource(Source):
    """`size` bytes at `offset` of an open, seekable file (an input tar or its decompressed copy)."""

    def __init__(self, file: BinaryIO, offset: int, size: int, what: str) -> None:
        self.file = file
        self.offset = offset
        self.size = size
        self.what = what

    def describe(self) -> str:
        return self.what

    @contextlib.contextmanager
    def open(self) -> Iterator[ReadInto]:
        _reporting(self.file.seek, self.what)(self.offset)
        yield _reporting(self.file.readinto, self.what)  # type: ignore[attr-defined]

    def read_at(self, offset: int, size: int) -> bytes:
        count = max(0, min(size, self.size - offset))
        _reporting(self.file.seek, self.what)(self.offset + offset)
        return _reporting(self.file.read, self.what)(count)
