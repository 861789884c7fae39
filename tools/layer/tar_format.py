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
