"""POSIX ustar header encoding, written byte by byte so no library version can change it.

`tarfile` is not used for writing: the header bytes it produces (PAX records,
field padding, GNU extensions) have changed between Python releases, and a
layer's diff_id is the sha256 of exactly these bytes.

Every header has uid/gid 0, devmajor/devminor "0000000\\0" and the magic
"ustar\\0" "00". A PAX extended header ('x') is written only when ustar
cannot hold a value: a path that cannot be split into prefix/name, a link
target over 100 bytes, or a size of 8 GiB or more. PAX records never carry
times (mtime/atime/ctime), so nothing time-dependent enters the stream.

The archive ends with two zero blocks and is NOT padded to a 10240-byte
record: the tar is a stream whose exact bytes are the diff_id, and record
padding would only add zeros that readers skip anyway (same choice as Jib
and Nix's stream_layered_image).
"""

from __future__ import annotations

import struct

from tools.common.errors import UserError

BLOCK_SIZE = 512
END_OF_ARCHIVE = bytes(2 * BLOCK_SIZE)

REGULAR = b"0"
HARDLINK = b"1"
SYMLINK = b"2"
DIRECTORY = b"5"
PAX_HEADER = b"x"

NAME_SIZE = 100
PREFIX_SIZE = 155
LINKNAME_SIZE = 100
OWNER_NAME_SIZE = 32
# The 12-byte size field holds 11 octal digits and a NUL: sizes below 8 GiB.
MAX_OCTAL_SIZE = 8**11 - 1
# The 12-byte mtime field has the same limit (year 2242); there is no PAX fallback for times.
MAX_MTIME = 8**11 - 1

PAX_HEADER_NAME = b"././@PaxHeader"
PAX_HEADER_MODE = 0o644


def _octal(value: int, width: int) -> bytes:
    """`width - 1` zero-padded octal digits and a NUL, the only numeric form we write."""
    digits = b"%0*o" % (width - 1, value)
    if len(digits) != width - 1:
        raise ValueError(f"{value} does not fit in a {width}-byte octal field")
    return digits + b"\0"


def _field(value: bytes, width: int) -> bytes:
    """NUL-padded text field; a value filling the field exactly has no terminator (POSIX)."""
    if len(value) > width:
        raise ValueError(f"{value!r} is longer than {width} bytes")
    return value.ljust(width, b"\0")


# Fields that are the same in every header we write.
_ZERO_ID = _octal(0, 8)  # uid, gid, devmajor, devminor
_MAGIC_VERSION = b"ustar\0" + b"00"
_BLANK_CHECKSUM = b" " * 8


def split_name(name: bytes) -> tuple[bytes, bytes] | None:
    """Splits `name` into ustar (prefix, name), or returns None when it does not fit.

    Names of up to 100 bytes go whole into the name field. Longer names are cut at
    a "/" so that the prefix holds at most 155 bytes and the remaining name 1 to 100
    bytes; the longest such prefix is chosen, as GNU tar and Python's tarfile do.
    """
    if len(name) <= NAME_SIZE:
        return b"", name
    # The trailing "/" of a directory belongs to the name part and is never a cut point.
    search_end = len(name) - 1 if name.endswith(b"/") else len(name)
    cut = name.rfind(b"/", 0, min(search_end, PREFIX_SIZE + 1))
    if cut <= 0:
        return None
    prefix, rest = name[:cut], name[cut + 1 :]
    if not rest or len(rest) > NAME_SIZE:
        return None
    return prefix, rest


# The byte sum of the fields that never vary (uid, gid, magic, version, devmajor, devminor, and
# the checksum field itself, counted as eight spaces), added to the sums of the variable fields.
# NUL padding adds nothing, so a header's checksum never needs a pass over all 512 bytes.
_CONSTANT_SUM = 4 * sum(_ZERO_ID) + sum(_MAGIC_VERSION) + sum(_BLANK_CHECKSUM)


def _ustar_block(
    *,
    name: bytes,
    prefix: bytes,
    typeflag: bytes,
    mode: int,
    size: int,
    mtime: int,
    linkname: bytes,
    uname: bytes,
    gname: bytes,
) -> bytes:
    mode_field, size_field, mtime_field = _octal(mode, 8), _octal(size, 12), _octal(mtime, 12)
    # With the checksum field counted as spaces, the plain byte sum is the checksum. Six octal
    # digits, NUL, space: the traditional layout GNU tar and tarfile both write.
    checksum = (_CONSTANT_SUM + sum(name) + sum(mode_field) + sum(size_field) + sum(mtime_field)
                + sum(typeflag) + sum(linkname) + sum(uname) + sum(gname) + sum(prefix))
    header = b"".join(
        (
            _field(name, NAME_SIZE),
            mode_field,
            _ZERO_ID,  # uid
            _ZERO_ID,  # gid
            size_field,
            mtime_field,
            b"%06o\0 " % checksum,
            typeflag,
            _field(linkname, LINKNAME_SIZE),
            _MAGIC_VERSION,
            _field(uname, OWNER_NAME_SIZE),
            _field(gname, OWNER_NAME_SIZE),
            _ZERO_ID,  # devmajor
            _ZERO_ID,  # devminor
            _field(prefix, PREFIX_SIZE),
            bytes(12),
        )
    )
    assert len(header) == BLOCK_SIZE
    return header


def pax_record(key: bytes, value: bytes) -> bytes:
    """One "<length> <key>=<value>\\n" record; the length counts its own digits."""
    body = b" " + key + b"=" + value + b"\n"
    digits = len(str(len(body)))
    while len(str(len(body) + digits)) != digits:
        digits += 1
    return b"%d" % (len(body) + digits) + body


def padding(size: int) -> bytes:
    """Zeros that complete the last 512-byte block of `size` bytes of member data."""
    return bytes(-size % BLOCK_SIZE)


def entry_header(
    name: bytes,
    typeflag: bytes,
    *,
    mode: int,
    mtime: int,
    size: int = 0,
    linkname: bytes = b"",
    uname: bytes = b"",
    gname: bytes = b"",
) -> bytes:
    """The header block(s) for one member: a ustar block, preceded by a PAX header if needed.

    `name` is the member's UTF-8 path (directories end in "/"); `mode` is masked to
    0o7777 by the caller. Returns a multiple of 512 bytes.
    """
    if not 0 <= mode <= 0o7777:
        raise ValueError(f"mode {mode:o} is out of range")
    if not 0 <= mtime <= MAX_MTIME:
        raise UserError(f"mtime {mtime} does not fit a ustar header (0 to {MAX_MTIME})")
    if size < 0:
        raise ValueError("negative size")
    pax: list[tuple[bytes, bytes]] = []
    split = split_name(name)
    if split is None:
        pax.append((b"path", name))
        prefix, short_name = b"", name[:NAME_SIZE]
    else:
        prefix, short_name = split
    if len(linkname) > LINKNAME_SIZE:
        pax.append((b"linkpath", linkname))
        linkname = linkname[:LINKNAME_SIZE]
    ustar_size = size
    if size > MAX_OCTAL_SIZE:
        pax.append((b"size", b"%d" % size))
        ustar_size = 0
    block = _ustar_block(
        name=short_name,
        prefix=prefix,
        typeflag=typeflag,
        mode=mode,
        size=ustar_size,
        mtime=mtime,
        linkname=linkname,
        uname=uname,
        gname=gname,
    )
    if not pax:
        return block
    records = b"".join(pax_record(key, value) for key, value in sorted(pax))
    pax_block = _ustar_block(
        name=PAX_HEADER_NAME,
        prefix=b"",
        typeflag=PAX_HEADER,
        mode=PAX_HEADER_MODE,
        size=len(records),
        mtime=mtime,
        linkname=b"",
        uname=uname,
        gname=gname,
    )
    return pax_block + records + padding(len(records)) + block


# The ustar block as one struct: "s" fields are NUL-padded to their width, in one C call.
_USTAR = struct.Struct("100s8s8s8s12s12s8s1s100s8s32s32s8s8s155s12s")
assert _USTAR.size == BLOCK_SIZE
_PADDINGS = tuple(bytes(count) for count in range(BLOCK_SIZE))


def padding_for(size: int) -> bytes:
    """`padding(size)` without allocating: one shared zero string per length."""
    return _PADDINGS[-size % BLOCK_SIZE]


class HeaderEncoder:
    """`entry_header` for one archive, whose mtime and owner names never change.

    Most members have a name and link target of at most 100 bytes and a size below 8 GiB: their
    header is one ustar block whose constant fields are encoded, and summed for the checksum,
    once per archive. The bytes are exactly `entry_header`'s (tests compare both); anything
    else is handed to `entry_header`. This is the per-member cost of a layer of many small
    files, hence the care.
    """

    def __init__(self, *, mtime: int, uname: bytes = b"", gname: bytes = b"") -> None:
        if not 0 <= mtime <= MAX_MTIME:
            raise UserError(f"mtime {mtime} does not fit a ustar header (0 to {MAX_MTIME})")
        for owner in (uname, gname):
            _field(owner, OWNER_NAME_SIZE - 1)
        self._mtime = mtime
        self._uname = uname
        self._gname = gname
        self._mtime_field = _octal(mtime, 12)
        self._fixed_sum = _CONSTANT_SUM + sum(self._mtime_field) + sum(uname) + sum(gname)
        self._modes: dict[int, tuple[bytes, int]] = {}

    def header(self, name: bytes, typeflag: bytes, mode: int, size: int = 0, linkname: bytes = b"") -> bytes:
        if len(name) > NAME_SIZE or len(linkname) > LINKNAME_SIZE or not 0 <= size <= MAX_OCTAL_SIZE:
            return entry_header(name, typeflag, mode=mode, mtime=self._mtime, size=size, linkname=linkname,
                                uname=self._uname, gname=self._gname)
        encoded = self._modes.get(mode)
        if encoded is None:
            if not 0 <= mode <= 0o7777:
                raise ValueError(f"mode {mode:o} is out of range")
            field = _octal(mode, 8)
            encoded = self._modes[mode] = (field, sum(field))
        mode_field, mode_sum = encoded
        size_field = b"%011o\0" % size
        checksum = self._fixed_sum + mode_sum + sum(name) + sum(size_field) + typeflag[0] + sum(linkname)
        return _USTAR.pack(name, mode_field, _ZERO_ID, _ZERO_ID, size_field, self._mtime_field,
                           b"%06o\0 " % checksum, typeflag, linkname, _MAGIC_VERSION, self._uname, self._gname,
                           _ZERO_ID, _ZERO_ID, b"", b"")
