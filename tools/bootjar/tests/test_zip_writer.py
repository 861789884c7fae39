"""The zip writer: every header field fixed, stored files byte-identical, readable by every reader."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
import zlib

import pytest

from tools.bootjar import zip_writer
from tools.bootjar.tests.jarfixtures import class_bytes, raw_entries, sha256
from tools.common.errors import UserError


def _write(tmp_path, entries):
    """entries: (kind, name, payload) with kind dir / deflated / stored (payload: bytes)."""
    out = tmp_path / "out.zip"
    with open(out, "wb") as f:
        writer = zip_writer.ZipWriter(f)
        for i, (kind, name, payload) in enumerate(entries):
            if kind == "dir":
                writer.directory(name)
            elif kind == "deflated":
                writer.deflated(name, payload)
            else:
                src = tmp_path / f"src{i}"
                src.write_bytes(payload)
                writer.stored_file(name, str(src))
        size = writer.finish()
    assert size == out.stat().st_size
    return out.read_bytes()


SAMPLE = [
    ("dir", "a/", b""),
    ("deflated", "a/B.class", class_bytes("a/B")),
    ("deflated", "a/empty.txt", b""),
    ("stored", "a/lib.jar", bytes(range(256)) * 4099),
    ("deflated", "a/ünïcode.txt", "grüße\n".encode()),
]


def test_every_header_field_is_fixed(tmp_path):
    data = _write(tmp_path, SAMPLE)
    entries, comment_len = raw_entries(data)
    assert comment_len == 0
    assert [e.name for e in entries] == [name for _, name, _ in SAMPLE]
    for entry, (kind, name, payload) in zip(entries, SAMPLE):
        assert (entry.date, entry.time) == (zip_writer.DOS_DATE, 0)
        assert entry.extra_len == entry.local_extra_len == entry.comment_len == 0
        assert entry.flags == entry.local_flags
        assert entry.flags & 0x8 == 0, "no data descriptor"
        assert entry.flags == (0 if name.isascii() else 0x800)
        assert entry.made_by == (3 << 8) | 20
        assert entry.internal_attr == 0
        if kind == "dir":
            assert entry.external_attr == (0o40755 << 16) | 0x10
            assert (entry.method, entry.size, entry.version_needed) == (0, 0, 20)
        else:
            assert entry.external_attr == 0o100644 << 16
            assert entry.crc == zlib.crc32(payload)
            assert entry.size == len(payload)
        if kind == "stored":
            assert (entry.method, entry.version_needed) == (0, 10)
            assert data[entry.data_start:entry.data_start + entry.size] == payload
        if kind == "deflated":
            assert (entry.method, entry.version_needed) == (8, 20)
            raw = data[entry.data_start:entry.data_start + entry.compressed_size]
            assert raw == zip_writer.deflate(payload)
            assert zlib.decompress(raw, -15) == payload


def test_the_date_is_a_valid_dos_date():
    day, month, year = zip_writer.DOS_DATE & 0x1F, (zip_writer.DOS_DATE >> 5) & 0xF, 1980 + (zip_writer.DOS_DATE >> 9)
    assert (year, month, day) == (2010, 1, 1)


def test_pythons_zipfile_reads_it_back(tmp_path):
    data = _write(tmp_path, SAMPLE)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        for kind, name, payload in SAMPLE:
            info = zf.getinfo(name)
            assert info.date_time == (2010, 1, 1, 0, 0, 0)
            if kind != "dir":
                assert zf.read(name) == payload


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
def test_info_zip_unzip_accepts_and_extracts_it(tmp_path):
    data = _write(tmp_path, SAMPLE)
    archive = tmp_path / "x.zip"
    archive.write_bytes(data)
    test = subprocess.run(["unzip", "-t", str(archive)], capture_output=True, text=True)
    assert test.returncode == 0 and "No errors detected" in test.stdout, test.stdout + test.stderr
    listing = subprocess.run(["unzip", "-Z", "-l", str(archive)], capture_output=True, text=True, check=True).stdout
    lines = [l for l in listing.splitlines() if l.startswith(("-rw", "drw"))]
    assert len(lines) == len(SAMPLE)
    assert all(" unx " in l and "10-Jan-01 00:00" in l for l in lines), listing
    dest = tmp_path / "x"
    subprocess.run(["unzip", "-q", str(archive), "-d", str(dest)], check=True)
    assert (dest / "a" / "lib.jar").read_bytes() == SAMPLE[3][2]
    assert (dest / "a" / "lib.jar").stat().st_mode & 0o777 == 0o644


def test_same_entries_same_bytes(tmp_path):
    outputs = []
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        outputs.append(_write(tmp_path / sub, SAMPLE))
    assert outputs[0] == outputs[1]


def test_a_stored_file_that_changes_size_while_copied_is_an_error(tmp_path, monkeypatch):
    src = tmp_path / "grows.jar"
    src.write_bytes(b"x" * 100)
    real_stat = zip_writer.os.stat
    monkeypatch.setattr(zip_writer.os, "stat", lambda p: type("S", (), {"st_size": 50})() if str(p) == str(src)
                        else real_stat(p))
    with open(tmp_path / "out.zip", "wb") as f, pytest.raises(UserError, match="changed while being copied"):
        zip_writer.ZipWriter(f).stored_file("grows.jar", str(src))


def test_a_name_twice_is_a_bug_not_a_silent_overwrite(tmp_path):
    with open(tmp_path / "out.zip", "wb") as f:
        writer = zip_writer.ZipWriter(f)
        writer.deflated("a", b"1")
        with pytest.raises(ValueError, match="written twice"):
            writer.deflated("a", b"2")


def test_too_many_entries_is_refused_not_silently_truncated(tmp_path):
    with open(tmp_path / "out.zip", "wb") as f:
        writer = zip_writer.ZipWriter(f)
        for i in range(0x10000):
            writer.directory(f"d{i}/")
        with pytest.raises(UserError, match="zip64"):
            writer.finish()


# Raw deflate at level 6 of fixed class-like input. Checked with zlib 1.2.13 (Debian 12's, the
# host's CPython 3.11) and 1.3.2 (the build environment's, which the hermetic CPython loads). If
# this fails, boot jars built here differ from other machines': find out which zlib changed.
DEFLATE_VECTOR = "42e638deb785c5f93088dede4a4ae521a22a143b744c498f3e30f83d0111a154"


def test_deflate_vector():
    data = b"".join(class_bytes(f"com/example/C{i}", size=4000) for i in range(64))
    got = sha256(zip_writer.deflate(data))
    assert got == DEFLATE_VECTOR, (
        f"zlib {zlib.ZLIB_RUNTIME_VERSION} deflates differently than the verified zlib versions: got {got}")
