"""A zip writer whose every byte follows from the entries' names, kinds and contents.

Python's `zipfile` picks the system byte, version fields, zip64 extras and data descriptors
from the platform, the output's seekability and the Python version; this writer fixes each:

- one timestamp (DOS 2010-01-01 00:00:00, see `DOS_DATE`), no extra fields (no extended
  timestamps, no uid/gid), no comments, no data descriptors (flag bit 3 never set);
- "made by" Unix 2.0 with the mode in the external attributes: directories 0755 (plus the
  MS-DOS directory bit), files 0644, so `unzip` never applies the builder's umask;
- deflated entries through one pinned raw deflate (zlib level 6, window 15, memLevel 8,
  default strategy); stored entries copied byte for byte;
- the UTF-8 name flag (bit 11) set exactly when a name is not ASCII.

No zip64: a boot jar over 4 GiB or 65,535 entries is refused with a clear error.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import BinaryIO

from tools.common.errors import UserError

# 2010-01-01 00:00:00, the time Bazel's own jar tools (singlejar --normalize, JavaBuilder)
# give every entry, so the application's classes keep the date they had in its jar. Any DOS
# date is local time; 1980-01-01 00:00 (the DOS epoch) reads as 1979-12-31 in every zone west
# of UTC, which some tools clamp or reject. 2010 has no such edge.
DOS_DATE = ((2010 - 1980) << 9) | (1 << 5) | 1
DOS_TIME = 0

DEFLATE_LEVEL = 6  # zlib's (and java.util.zip.Deflater's) default
_DEFLATE_MEM_LEVEL = 8
_WINDOW_BITS = -15  # raw deflate, as zip requires

STORED, DEFLATED = 0, 8
_MADE_BY = (3 << 8) | 20  # Unix, spec 2.0
_FILE_ATTR = (0o100644 << 16)
_DIR_ATTR = (0o040755 << 16) | 0x10
_UTF8_FLAG = 0x800

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
_CRC_OFFSET = 14  # of the CRC-32 field in a local header

_MAX_U32 = 0xFFFFFFFF
_MAX_ENTRIES = 0xFFFF
_CHUNK = 1 << 20


def deflate(data: bytes) -> bytes:
    """The one deflate of every compressed entry (bytes depend on zlib: tests pin a vector)."""
    compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, _WINDOW_BITS, _DEFLATE_MEM_LEVEL,
                                  zlib.Z_DEFAULT_STRATEGY)
    return compressor.compress(data) + compressor.flush()


class ZipWriter:
    """Writes entries in the order given; `finish()` appends the central directory.

    The output must be a regular file opened for writing at offset 0: stored files are copied
    in one pass and their CRC-32 written back into the local header afterwards.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offset = 0
        self._central: list[bytes] = []
        self._names: set[str] = set()

    def directory(self, name: str) -> None:
        if not name.endswith("/"):
            raise ValueError(f"directory entry {name!r} must end with '/'")
        self._write_entry(name, STORED, 0, b"", 0, is_dir=True)

    def deflated(self, name: str, data: bytes) -> None:
        self._write_entry(name, DEFLATED, zlib.crc32(data), deflate(data), len(data))

    def stored_file(self, name: str, path: str) -> None:
        """Copies the file at `path` as a stored entry, byte for byte."""
        encoded = self._claim(name)
        size = os.stat(path).st_size
        _check_u32(size, f"{path} ({size} bytes)")
        start = self._offset
        self._put(_local_header(encoded, STORED, 0, size, size))
        crc = 0
        copied = 0
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        with open(path, "rb") as src:
            while True:
                n = src.readinto(buffer)
                if not n:
                    break
                crc = zlib.crc32(view[:n], crc)
                self._put(view[:n])
                copied += n
        if copied != size:
            raise UserError(f"{path} changed while being copied ({size} bytes before, {copied} read)")
        self._out.seek(start + _CRC_OFFSET)
        self._out.write(struct.pack("<I", crc))
        self._out.seek(self._offset)
        self._central.append(_central_header(encoded, STORED, crc, size, size, start, is_dir=False))

    def finish(self) -> int:
        """Writes the central directory and end record; returns the archive's size."""
        if len(self._central) > _MAX_ENTRIES:
            raise UserError(f"the jar would hold {len(self._central)} entries; more than {_MAX_ENTRIES} "
                            "needs zip64, which this writer does not produce")
        start = self._offset
        for header in self._central:
            self._put(header)
        size = self._offset - start
        _check_u32(self._offset, "the jar")
        self._put(_END.pack(_END_SIG, 0, 0, len(self._central), len(self._central), size, start, 0))
        return self._offset

    def _write_entry(self, name: str, method: int, crc: int, payload: bytes, size: int,
                     is_dir: bool = False) -> None:
        encoded = self._claim(name)
        _check_u32(size, name)
        start = self._offset
        self._put(_local_header(encoded, method, crc, len(payload), size))
        self._put(payload)
        self._central.append(_central_header(encoded, method, crc, len(payload), size, start, is_dir))

    def _claim(self, name: str) -> bytes:
        if name in self._names:
            raise ValueError(f"entry {name!r} written twice")
        self._names.add(name)
        return name.encode("utf-8")

    def _put(self, data: bytes | memoryview) -> None:
        self._out.write(data)
        self._offset += len(data)
        if self._offset > _MAX_U32:
            raise UserError("the jar would exceed 4 GiB, which needs zip64; this writer does not produce it")


def _flags(encoded_name: bytes) -> int:
    return 0 if encoded_name.isascii() else _UTF8_FLAG


def _version_needed(method: int, is_dir: bool) -> int:
    return 20 if method == DEFLATED or is_dir else 10


def _local_header(name: bytes, method: int, crc: int, compressed: int, size: int) -> bytes:
    is_dir = name.endswith(b"/")
    return _LOCAL.pack(_LOCAL_SIG, _version_needed(method, is_dir), _flags(name), method, DOS_TIME, DOS_DATE,
                       crc, compressed, size, len(name), 0) + name


def _central_header(name: bytes, method: int, crc: int, compressed: int, size: int, offset: int,
                    is_dir: bool) -> bytes:
    return _CENTRAL.pack(_CENTRAL_SIG, _MADE_BY, _version_needed(method, is_dir), _flags(name), method,
                         DOS_TIME, DOS_DATE, crc, compressed, size, len(name), 0, 0, 0, 0,
                         _DIR_ATTR if is_dir else _FILE_ATTR, offset) + name


def _check_u32(value: int, what: str) -> None:
    if value > _MAX_U32:
        raise UserError(f"{what} exceeds 4 GiB, which needs zip64; this writer does not produce it")
