"""Unit tests of the ustar/PAX header encoder."""

from __future__ import annotations

import io
import tarfile

import pytest

from tools.common.errors import UserError
from tools.layer import tar_format


def _field(header: bytes, start: int, size: int) -> bytes:
    return header[start : start + size]


def test_regular_file_header_fields():
    header = tar_format.entry_header(b"usr/bin/tool", tar_format.REGULAR, mode=0o4755, mtime=1234, size=99,
                                     uname=b"root", gname=b"wheel")
    assert len(header) == 512
    assert _field(header, 0, 100) == b"usr/bin/tool" + bytes(88)
    assert _field(header, 100, 8) == b"0004755\0"
    assert _field(header, 108, 8) == b"0000000\0"  # uid
    assert _field(header, 116, 8) == b"0000000\0"  # gid
    assert _field(header, 124, 12) == b"%011o\0" % 99
    assert _field(header, 136, 12) == b"%011o\0" % 1234
    assert _field(header, 156, 1) == b"0"
    assert _field(header, 157, 100) == bytes(100)
    assert _field(header, 257, 8) == b"ustar\x0000"
    assert _field(header, 265, 32) == b"root" + bytes(28)
    assert _field(header, 297, 32) == b"wheel" + bytes(27)
    assert _field(header, 329, 8) == b"0000000\0"  # devmajor
    assert _field(header, 337, 8) == b"0000000\0"  # devminor
    assert _field(header, 345, 155) == bytes(155)
    assert _field(header, 500, 12) == bytes(12)


def test_checksum_is_unsigned_sum_with_blank_checksum_field():
    header = tar_format.entry_header("dir/ü/".encode(), tar_format.DIRECTORY, mode=0o755, mtime=0)
    stored = _field(header, 148, 8)
    assert stored[6:] == b"\0 "
    expected = sum(header[:148]) + sum(header[156:]) + 8 * ord(" ")
    assert int(stored[:6], 8) == expected
    # tarfile validates the checksum itself when reading.
    info = tarfile.TarInfo.frombuf(header, "utf-8", "strict")
    assert info.name == "dir/ü" and info.isdir()


def test_long_name_is_split_into_prefix_and_name():
    name = b"/".join([b"d" * 60, b"e" * 60, b"f" * 60, b"file.txt"])
    prefix, rest = tar_format.split_name(name)
    assert prefix == b"/".join([b"d" * 60, b"e" * 60])
    assert rest == b"f" * 60 + b"/file.txt"
    header = tar_format.entry_header(name, tar_format.REGULAR, mode=0o644, mtime=0)
    assert len(header) == 512, "a splittable name must not need a PAX header"
    assert tarfile.TarInfo.frombuf(header, "utf-8", "strict").name == name.decode()


def test_split_prefers_longest_prefix_and_keeps_directory_slash_in_name():
    name = b"a" * 150 + b"/" + b"b" * 20 + b"/"
    assert tar_format.split_name(name) == (b"a" * 150, b"b" * 20 + b"/")
    assert tar_format.split_name(b"x" * 100) == (b"", b"x" * 100)
    assert tar_format.split_name(b"x" * 101) is None  # no slash at all
    assert tar_format.split_name(b"p" * 156 + b"/n") is None  # prefix would be 156 bytes
    assert tar_format.split_name(b"p/" + b"n" * 101) is None  # name part would be 101 bytes


def test_pax_header_only_when_needed_and_without_times():
    plain = tar_format.entry_header(b"a" * 100, tar_format.REGULAR, mode=0o644, mtime=5)
    assert len(plain) == 512
    long_name = b"n" * 101
    header = tar_format.entry_header(long_name, tar_format.REGULAR, mode=0o644, mtime=5, size=3)
    assert len(header) == 3 * 512
    pax = header[:512]
    assert _field(pax, 0, 100).rstrip(b"\0") == b"././@PaxHeader"
    assert _field(pax, 156, 1) == b"x"
    records = header[512:1024].rstrip(b"\0")
    assert records == b"111 path=" + long_name + b"\n"
    for key in (b"mtime", b"atime", b"ctime"):
        assert key not in records
    members = tarfile.open(fileobj=io.BytesIO(header + b"abc" + bytes(509 + 1024))).getmembers()
    assert [(m.name, m.size, m.mtime) for m in members] == [(long_name.decode(), 3, 5)]


def test_long_linkname_uses_pax_linkpath():
    target = b"t" * 101
    header = tar_format.entry_header(b"link", tar_format.SYMLINK, mode=0o777, mtime=0, linkname=target)
    assert b"linkpath=" + target in header[512:1024]
    assert b"path=link" not in header[512:1024]
    short = tar_format.entry_header(b"link", tar_format.SYMLINK, mode=0o777, mtime=0, linkname=b"t" * 100)
    assert len(short) == 512
    member = tarfile.open(fileobj=io.BytesIO(header + bytes(1024))).getmembers()[0]
    assert member.issym() and member.linkname == target.decode()


def test_size_of_8_gib_goes_to_pax_and_ustar_holds_below():
    below = tar_format.entry_header(b"big", tar_format.REGULAR, mode=0o644, mtime=0, size=8**11 - 1)
    assert len(below) == 512 and _field(below, 124, 12) == b"77777777777\0"
    size = 8 * 1024**3
    header = tar_format.entry_header(b"big", tar_format.REGULAR, mode=0o644, mtime=0, size=size)
    assert b"size=8589934592\n" in header[512:1024]
    assert _field(header, 1024 + 124, 12) == b"00000000000\0"
    # Only the headers exist; tarfile seeks over the (absent) data to find the first member.
    member = tarfile.open(fileobj=io.BytesIO(header)).next()
    assert member is not None and member.size == size and member.name == "big"


def test_pax_record_length_counts_itself():
    for value_length in range(0, 1200, 7):
        record = tar_format.pax_record(b"path", b"v" * value_length)
        length, _ = record.split(b" ", 1)
        assert int(length) == len(record)
    # " path=" + value + "\n" is 97 bytes for 90 x's: 2 digits make 99; at 98 bytes 2 digits would
    # make 100, which has 3 digits, so the length becomes 101.
    assert tar_format.pax_record(b"path", b"x" * 90) == b"99 path=" + b"x" * 90 + b"\n"
    assert tar_format.pax_record(b"path", b"x" * 91) == b"101 path=" + b"x" * 91 + b"\n"


def test_several_pax_records_are_sorted_by_key():
    header = tar_format.entry_header(b"n" * 200, tar_format.HARDLINK, mode=0o644, mtime=0, linkname=b"l" * 200)
    records = header[512:1024].rstrip(b"\0").splitlines()
    assert [r.split(b" ", 1)[1].split(b"=")[0] for r in records] == [b"linkpath", b"path"]


def test_padding_and_end_of_archive():
    assert tar_format.padding(0) == b""
    assert tar_format.padding(1) == bytes(511)
    assert tar_format.padding(512) == b""
    assert tar_format.END_OF_ARCHIVE == bytes(1024)


def test_rejects_values_that_do_not_fit():
    with pytest.raises(UserError, match="mtime"):
        tar_format.entry_header(b"a", tar_format.REGULAR, mode=0o644, mtime=8**11)
    with pytest.raises(ValueError):
        tar_format.entry_header(b"a", tar_format.REGULAR, mode=0o10000, mtime=0)


@pytest.mark.parametrize("mtime, uname, gname", [(0, b"", b""), (1234567, b"root", b"w" * 31)])
def test_header_encoder_writes_exactly_the_bytes_of_entry_header(mtime, uname, gname):
    encoder = tar_format.HeaderEncoder(mtime=mtime, uname=uname, gname=gname)
    cases = [
        (b"a", tar_format.REGULAR, 0o644, 0, b""),
        (b"usr/bin/tool", tar_format.REGULAR, 0o4755, 99, b""),
        ("dir/ü/".encode(), tar_format.DIRECTORY, 0o755, 0, b""),
        (b"x" * 100, tar_format.REGULAR, 0o600, 8**11 - 1, b""),
        (b"link", tar_format.SYMLINK, 0o777, 0, b"t" * 100),
        (b"hard", tar_format.HARDLINK, 0o644, 0, "zïel".encode()),
        # Beyond the fast path: a split name, a PAX path, a PAX link target, a PAX size.
        (b"/".join([b"d" * 60, b"e" * 60, b"f"]), tar_format.REGULAR, 0o644, 5, b""),
        (b"n" * 101, tar_format.REGULAR, 0o644, 3, b""),
        (b"link", tar_format.SYMLINK, 0o777, 0, b"t" * 101),
        (b"big", tar_format.REGULAR, 0o644, 8 * 1024**3, b""),
    ]
    for name, typeflag, mode, size, linkname in cases:
        for _ in range(2):  # the second time from the encoder's cache of mode fields
            assert encoder.header(name, typeflag, mode, size, linkname) == tar_format.entry_header(
                name, typeflag, mode=mode, mtime=mtime, size=size, linkname=linkname, uname=uname, gname=gname)


def test_header_encoder_rejects_what_entry_header_rejects():
    with pytest.raises(UserError, match="mtime"):
        tar_format.HeaderEncoder(mtime=8**11)
    encoder = tar_format.HeaderEncoder(mtime=0)
    with pytest.raises(ValueError):
        encoder.header(b"a", tar_format.REGULAR, 0o10000)
    with pytest.raises(ValueError):
        encoder.header(b"a", tar_format.REGULAR, 0o644, -1)


def test_padding_for_matches_padding():
    for size in (0, 1, 511, 512, 513, 4096, 4097, 10**9 + 7):
        assert tar_format.padding_for(size) == tar_format.padding(size)
