"""Reading the input jars: their central directory at once, an entry's bytes on demand.

A small reader of our own rather than `zipfile`: the central directory is all most inputs need
(names, CRC-32s and sizes for the checks; the nested jars themselves are copied as files), and
building a ZipInfo per entry cost more than the rest of writing a boot jar. Names are decoded
as UTF-8 whether or not an entry sets the UTF-8 flag, as java.util.zip does. Zip64 inputs are
read; encrypted entries and methods other than stored and deflated are refused.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import BinaryIO, Iterator, NamedTuple

from tools.common.errors import UserError

_END = struct.Struct("<IHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_END_SIG, _ZIP64_LOCATOR_SIG, _ZIP64_END_SIG = 0x06054B50, 0x07064B50, 0x06064B50
_CENTRAL_SIG, _LOCAL_SIG = 0x02014B50, 0x04034B50
_MAX_COMMENT = 0xFFFF
_ZIP64_EXTRA = 0x0001


class BadJar(Exception):
    """The file is not a zip archive we can read; the message says why."""


class Member(NamedTuple):
    """A file entry of an input jar (directories are not members: the writer makes its own).
    A tuple: jars hold tens of thousands of entries, and a frozen dataclass is slow to create."""

    name: str
    crc: int
    size: int
    compressed_size: int = 0
    method: int = 0
    flags: int = 0
    offset: int = 0  # of the local header


class InputJar:
    """One input jar; `members` lists its files in central-directory order."""

    def __init__(self, path: str, role: str) -> None:
        self.path = path
        self.role = role  # how error messages name it: "the loader jar", "BOOT-INF/lib/x.jar", ...
        self._file: BinaryIO | None = None
        try:
            with open(path, "rb") as f:
                members = read_central_directory(f, os.fstat(f.fileno()).st_size)
        except FileNotFoundError:
            raise UserError(f"{role} {path} does not exist") from None
        except IsADirectoryError:
            raise UserError(f"{role} {path} is a directory, not a jar") from None
        except BadJar as e:
            raise UserError(f"{role} {path} is not a readable jar ({e}); rebuild or re-fetch it") from None
        except OSError as e:
            raise UserError(f"cannot read {role} {path}: {e.strerror}") from None
        self._by_name: dict[str, Member] = {}
        self.members: list[Member] = []
        for member in members:
            if member.name.endswith("/"):
                continue
            if member.name in self._by_name:
                raise UserError(f"{role} {path} holds the entry {member.name!r} twice; rebuild it")
            self._by_name[member.name] = member
            self.members.append(member)

    def __enter__(self) -> "InputJar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def names(self) -> Iterator[str]:
        return iter(self._by_name)

    def read(self, name: str) -> bytes:
        """The entry's bytes, checked against its size and CRC-32."""
        member = self._by_name[name]
        try:
            if self._file is None:
                self._file = open(self.path, "rb")
            return read_member(self._file, member)
        except BadJar as e:
            raise UserError(f"{self.role} {self.path}: cannot read {name!r} ({e}); rebuild or re-fetch the jar") \
                from None
        except OSError as e:
            raise UserError(f"cannot read {self.role} {self.path}: {e.strerror}") from None

    def copy_to(self, name: str, out: BinaryIO) -> None:
        """Streams the entry's bytes into `out`, checked against its size and CRC-32."""
        member = self._by_name[name]
        try:
            if self._file is None:
                self._file = open(self.path, "rb")
            copy_member(self._file, member, out)
        except BadJar as e:
            raise UserError(f"{self.role} {self.path}: cannot read {name!r} ({e}); rebuild or re-fetch the jar") \
                from None

    def manifest_attribute(self, attribute: str) -> str | None:
        """A main-section attribute of META-INF/MANIFEST.MF, or None."""
        if "META-INF/MANIFEST.MF" not in self._by_name:
            return None
        text = self.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
        return parse_main_attributes(text).get(attribute.lower())


def read_central_directory(f: BinaryIO, size: int) -> list[Member]:
    tail_size = min(size, _END.size + _MAX_COMMENT + _ZIP64_LOCATOR.size)
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    end = _find_end_record(tail)
    _, disk, cd_disk, _, count, cd_size, cd_offset, _ = _END.unpack_from(tail, end)
    if disk or cd_disk:
        raise BadJar("multi-part archives are not supported")
    if (count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF) and end >= _ZIP64_LOCATOR.size:
        locator = _ZIP64_LOCATOR.unpack_from(tail, end - _ZIP64_LOCATOR.size)
        if locator[0] == _ZIP64_LOCATOR_SIG:
            f.seek(locator[2])
            record = f.read(_ZIP64_END.size)
            if len(record) != _ZIP64_END.size or struct.unpack_from("<I", record)[0] != _ZIP64_END_SIG:
                raise BadJar("bad zip64 end of central directory record")
            count, cd_size, cd_offset = _ZIP64_END.unpack(record)[7:10]
    if cd_offset + cd_size > size:
        raise BadJar("the central directory lies beyond the end of the file")
    f.seek(cd_offset)
    directory = f.read(cd_size)
    members = []
    pos = 0
    for _ in range(count):
        if pos + _CENTRAL.size > len(directory):
            raise BadJar("truncated central directory")
        (sig, _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len, comment_len, _, _, _,
         offset) = _CENTRAL.unpack_from(directory, pos)
        if sig != _CENTRAL_SIG:
            raise BadJar("bad central directory entry")
        start = pos + _CENTRAL.size
        raw_name = directory[start:start + name_len]
        if 0xFFFFFFFF in (csize, usize, offset):
            usize, csize, offset = _zip64_values(directory[start + name_len:start + name_len + extra_len],
                                                 usize, csize, offset)
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJar(f"entry name {raw_name!r} is not UTF-8") from None
        members.append(Member(name, crc, usize, csize, method, flags, offset))
        pos = start + name_len + extra_len + comment_len
    return members


def _find_end_record(tail: bytes) -> int:
    """The last end-of-central-directory record whose comment length reaches the file's end."""
    pos = len(tail)
    while True:
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
        if pos < 0:
            raise BadJar("no end of central directory record: not a zip archive")
        if pos + _END.size <= len(tail):
            comment_len = _END.unpack_from(tail, pos)[7]
            if pos + _END.size + comment_len <= len(tail):
                return pos


def _zip64_values(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == _ZIP64_EXTRA:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, pos + 4))
            try:
                usize = next(values) if usize == 0xFFFFFFFF else usize
                csize = next(values) if csize == 0xFFFFFFFF else csize
                offset = next(values) if offset == 0xFFFFFFFF else offset
            except StopIteration:
                raise BadJar("short zip64 extra field") from None
            return usize, csize, offset
        pos += 4 + length
    raise BadJar("missing zip64 extra field")


def copy_member(f: BinaryIO, member: Member, out: BinaryIO, chunk: int = 1 << 20) -> None:
    """Streams the entry's bytes into `out`, checked against its size and CRC-32 at the end;
    memory stays at `chunk` whatever the entry's size (a native library can be 150 MB)."""
    if member.flags & 0x1:
        raise BadJar("the entry is encrypted")
    if member.method not in (0, 8):
        raise BadJar(f"compression method {member.method} is not supported (only stored and deflated)")
    f.seek(member.offset)
    header = f.read(_LOCAL.size)
    if len(header) != _LOCAL.size or _LOCAL.unpack(header)[0] != _LOCAL_SIG:
        raise BadJar("bad local header")
    name_len, extra_len = _LOCAL.unpack(header)[9:11]
    f.seek(member.offset + _LOCAL.size + name_len + extra_len)
    inflater = zlib.decompressobj(-15) if member.method == 8 else None
    left, size, crc = member.compressed_size, 0, 0

    def read_raw() -> bytes:
        nonlocal left
        raw = f.read(min(left, chunk))
        if not raw:
            raise BadJar("the entry's data is truncated")
        left -= len(raw)
        return raw

    while True:
        if inflater is None:
            if not left:
                break
            data = read_raw()
        else:
            pending = inflater.unconsumed_tail
            if not pending:
                if not left or inflater.eof:
                    break
                pending = read_raw()
            try:  # at most `chunk` bytes out per call, however well the data compresses
                data = inflater.decompress(pending, chunk)
            except zlib.error as e:
                raise BadJar(f"bad deflate data: {e}") from None
        size += len(data)
        crc = zlib.crc32(data, crc)
        out.write(data)
    if size != member.size or crc != member.crc:
        raise BadJar("its size or CRC-32 does not match the central directory")


def read_member(f: BinaryIO, member: Member) -> bytes:
    if member.flags & 0x1:
        raise BadJar("the entry is encrypted")
    f.seek(member.offset)
    header = f.read(_LOCAL.size)
    if len(header) != _LOCAL.size or _LOCAL.unpack(header)[0] != _LOCAL_SIG:
        raise BadJar("bad local header")
    name_len, extra_len = _LOCAL.unpack(header)[9:11]
    f.seek(member.offset + _LOCAL.size + name_len + extra_len)
    raw = f.read(member.compressed_size)
    if len(raw) != member.compressed_size:
        raise BadJar("the entry's data is truncated")
    if member.method == 0:
        data = raw
    elif member.method == 8:
        try:
            inflater = zlib.decompressobj(-15)
            data = inflater.decompress(raw) + inflater.flush()
        except zlib.error as e:
            raise BadJar(f"bad deflate data: {e}") from None
    else:
        raise BadJar(f"compression method {member.method} is not supported (only stored and deflated)")
    if len(data) != member.size or zlib.crc32(data) != member.crc:
        raise BadJar("its size or CRC-32 does not match the central directory")
    return data


def parse_main_attributes(text: str) -> dict[str, str]:
    """The manifest's main section as {lower-case name: value}, continuation lines joined."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw:
            break  # the main section ends at the first empty line
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    attributes: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            attributes[name.strip().lower()] = value.strip()
    return attributes
