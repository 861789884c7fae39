"""tools.elf.elf_file on real ELF files built by the project's toolchain, and on broken ones."""

from __future__ import annotations

import os
import struct

import pytest

from tools.common.errors import UserError
from tools.elf.elf_file import read_elf


def test_shared_library():
    info = read_elf(os.environ["SHARED_LIBRARY"])
    assert info.kind == "DYN"
    assert info.interpreter is None
    assert info.soname == "libexports.so.1"
    assert info.needed == ("libc++.so.1", "libc++abi.so.1", "libunwind.so.1", "libm.so.6", "libc.so.6")
    assert info.rpath == () and info.runpath == ()
    # The two default-visibility functions and the symbols lld defines; not the hidden or static ones.
    assert info.exported == ("_Z15exported_answeri", "_Z9uses_bothv", "__bss_start", "_edata", "_end")
    assert "GLIBC_2.2.5" in info.version_needs["libc.so.6"]
    assert info.build_id is not None and len(info.build_id) == 20  # --build-id=sha1


def test_executable():
    info = read_elf(os.environ["EXECUTABLE"])
    assert info.kind == "DYN"  # position-independent
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert info.needed == ("libm.so.6", "libc.so.6")  # libc++ is linked into executables
    assert info.soname is None
    assert "puts" not in info.exported


def test_not_elf(tmp_path):
    path = tmp_path / "script.sh"
    path.write_bytes(b"#!/bin/sh\n")
    with pytest.raises(UserError, match="not an ELF file"):
        read_elf(str(path))


def test_32_bit(tmp_path):
    path = tmp_path / "old.so"
    path.write_bytes(b"\x7fELF\x01\x01\x01" + bytes(60))
    with pytest.raises(UserError, match="only 64-bit little-endian ELF files are read"):
        read_elf(str(path))


def test_truncated(tmp_path):
    data = open(os.environ["SHARED_LIBRARY"], "rb").read()
    (phoff,) = struct.unpack_from("<Q", data, 32)
    path = tmp_path / "cut.so"
    path.write_bytes(data[:phoff + 10])
    with pytest.raises(UserError, match="truncated ELF file"):
        read_elf(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="cannot read"):
        read_elf(str(tmp_path / "none.so"))
