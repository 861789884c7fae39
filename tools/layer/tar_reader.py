"""Reads the member list of an input tar (plain, gzip, xz, bzip2 or zstd: `decompress`) without
keeping its bytes.

A compressed tar is decompressed once into a shared, already-unlinked temporary
file (the "spool"); members are later read from it by offset, so the layer can
be sorted and written without holding any file's bytes in memory. A plain tar is
read in place. `tarfile` is fine for *reading*: only our writer must not depend
on a Python version's header bytes.

Members are checked in archive order, each completely (its path, then its type) before the
next, so the first bad member reported is the first one in the tar. A tar must end with its
end-of-archive marker: one cut off at a member boundary would otherwise lose its last members
without a word.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from tools.common.errors import UserError
from tools.layer import decompress, paths

_COPY_SIZE = 1 << 20
_BLOCK = 512  # tarfile.BLOCKSIZE

FILE = "file"
DIR = "dir"
SYMLINK = "symlink"
HARDLINK = "hardlink"


@dataclass(frozen=True)
class Member:
    """One member of an input tar, as far as a layer cares about it."""

    name: str  # as spelled in the tar, for messages
    kind: str  # FILE, DIR, SYMLINK or HARDLINK
    mode: int  # permission bits incl. setuid/setgid/sticky (masked to 0o7777)
    size: int
    offset: int  # of the member's data in the file returned with it
    linkname: str


class Spool:
    """One unlinked temporary file that holds every decompressed input tar back to back."""

    def __init__(self, directory: str | None) -> None:
        self._directory = directory
        self._file: BinaryIO | None = None

    def file(self) -> BinaryIO:
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._directory, buffering=0)  # type: ignore[assignment]
        return self._file  # type: ignore[return-value]

    def owns(self, f: BinaryIO) -> bool:
        return f is self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _decompress_into(spool: Spool, raw: BinaryIO, kind: str, what: str) -> tuple[BinaryIO, int, int]:
    out = spool.file()
    start = out.seek(0, os.SEEK_END)
    reader = decompress.open_stream(raw, kind, what)
    errors = decompress.decoding_errors(kind)
    with reader:
        while True:
            try:
                data = reader.read(_COPY_SIZE)
            except errors as e:  # only decoding errors: a full disk while spooling is no bad input
                out.truncate(start)
                raise decompress.failure(what, kind, e) from None
            if not data:
                break
            view = memoryview(data)
            while view:
                view = view[out.write(view):]
    end = out.tell()
    if end == start:
        raise UserError(f"{what} is not valid {kind} data: it decompresses to nothing")
    return out, start, end


def read_members(path: str, spool: Spool, name: str | None = None) -> tuple[BinaryIO, list[Member]]:
    """Opens the tar at `path` and lists its members; data offsets refer to the returned file.

    `name` is what messages call the tar (default `tar '<path>'`), e.g. the package member it
    was copied from. The returned file stays open: it is either `path` itself (plain tar) or the
    spool. Device nodes, FIFOs, sparse and unknown member types are rejected: a layer never
    creates devices (the container runtime provides /dev), and a FIFO or socket in an image is
    almost always a packaging accident.
    """
    what = name or f"tar {path!r}"
    try:
        raw: BinaryIO = open(path, "rb", buffering=0)  # type: ignore[assignment]
    except OSError as e:
        raise UserError(f"cannot read input tar {path!r}: {e.strerror}") from None
    try:
        kind = decompress.detect(raw.read(decompress.MAGIC_LENGTH))
        if kind is None:
            data, start, end = raw, 0, raw.seek(0, os.SEEK_END)
        else:
            raw.seek(0)
            data, start, end = _decompress_into(spool, raw, kind, what)
            raw.close()
        members = list_tar(data, start, end, what)
    except BaseException:
        raw.close()
        raise
    return data, members


def list_tar(data: BinaryIO, start: int, end: int, what: str) -> list[Member]:
    """The members of the plain tar in bytes [start, end) of `data`, checked in archive order."""
    data.seek(start)
    members = []
    try:
        # An explicit encoding: the default follows the locale, and names must not.
        with tarfile.open(fileobj=data, mode="r:", encoding="utf-8", errors="surrogateescape") as archive:
            for info in archive:
                members.append(_member(info, what))
            after_last = archive.offset
    except tarfile.ReadError as e:
        if str(e) in ("unexpected end of data", "truncated header"):
            raise UserError(f"{what} is truncated: the tar archive ends inside a member") from None
        raise UserError(f"{what} is not a valid tar archive: {e}") from None
    except tarfile.TarError as e:
        raise UserError(f"{what} is not a valid tar archive: {e}") from None
    if (end - start) % _BLOCK:
        raise UserError(f"{what} is truncated: a tar archive is made of 512-byte blocks, this one has "
                        f"{end - start} bytes")
    if not _zeros(data, after_last, end):
        raise UserError(f"{what} is truncated: the tar archive ends without its end-of-archive marker")
    return members


def _zeros(data: BinaryIO, start: int, end: int) -> bool:
    """Whether bytes [start, end) of `data` are at least one block, all zero (the marker)."""
    if end - start < _BLOCK:
        return False
    data.seek(start)
    while start < end:
        piece = data.read(min(_COPY_SIZE, end - start))
        if not piece or piece.count(0) != len(piece):
            return False
        start += len(piece)
    return True


def _member(info: tarfile.TarInfo, what: str) -> Member:
    where = f"{what} member {info.name!r}"
    paths.normalize(info.name, where, allow_empty=True)
    if info.islnk():
        paths.normalize(info.linkname, f"{where} (link target)")
    if info.ischr() or info.isblk():
        raise UserError(
            f"{where} is a device node; layers never create devices (the container runtime provides /dev), "
            "remove it from the input"
        )
    if info.isfifo():
        raise UserError(f"{where} is a FIFO; layers do not carry FIFOs or sockets, remove it from the input")
    if info.sparse is not None or info.type == tarfile.GNUTYPE_SPARSE:
        raise UserError(f"{where} is a sparse file; re-create the tar without --sparse")
    mode = info.mode & 0o7777
    if info.isreg():
        return Member(info.name, FILE, mode, info.size, info.offset_data, "")
    if info.isdir():
        return Member(info.name, DIR, mode, 0, 0, "")
    if info.issym():
        return Member(info.name, SYMLINK, mode, 0, 0, info.linkname)
    if info.islnk():
        return Member(info.name, HARDLINK, mode, 0, 0, info.linkname)
    raise UserError(f"{where} has unsupported tar type {info.type!r}; only files, directories and links are allowed")
