"""The one compressed-data opener: each compression by its magic bytes, plain tars never mistaken."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile

import pytest
import zstandard

from tools.common.errors import UserError
from tools.layer import decompress


def _tar(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


COMPRESSORS = {
    decompress.GZIP: gzip.compress,
    decompress.XZ: lzma.compress,
    decompress.BZIP2: bz2.compress,
    decompress.ZSTD: lambda data: zstandard.ZstdCompressor().compress(data),
    None: lambda data: data,
}


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_each_compression_is_recognised_and_read_as_a_tar(kind):
    blob = COMPRESSORS[kind](_tar("usr/share/doc/x", b"hello\n"))
    assert decompress.detect(blob[:decompress.MAGIC_LENGTH]) == kind
    with decompress.open_tar_stream(io.BytesIO(blob), "test blob") as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar]
    assert members == [("usr/share/doc/x", b"hello\n")]


@pytest.mark.parametrize("name", ["BZh9-notes.txt", "\x1f\x8b-not-gzip", "\xfd7zXZ", "(\xb5/"])
def test_a_plain_tar_is_never_taken_for_a_compressed_one(name):
    assert decompress.detect(_tar(name, b"x")[:decompress.MAGIC_LENGTH]) is None


def test_concatenated_members_and_frames_are_read_to_the_end():
    data = b"first " * 1000 + b"second " * 1000
    half = len(data) // 2
    assert decompress.decompress_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]), decompress.GZIP,
                                       "x") == data
    zstd = zstandard.ZstdCompressor()
    assert decompress.decompress_bytes(zstd.compress(data[:half]) + zstd.compress(data[half:]), decompress.ZSTD,
                                       "x") == data


@pytest.mark.parametrize("kind", [decompress.GZIP, decompress.XZ, decompress.BZIP2, decompress.ZSTD])
def test_corrupt_data_is_one_user_error(kind):
    blob = bytearray(COMPRESSORS[kind](b"some index text " * 100))
    if kind == decompress.ZSTD:
        blob[4] |= 0x08  # a reserved bit of the frame header
    else:
        blob[len(blob) // 2] ^= 0xFF  # whole but wrong: not "truncated"
    with pytest.raises(UserError, match=f"^Packages is not valid {kind} data: "):
        decompress.decompress_bytes(bytes(blob), kind, "Packages")


@pytest.mark.parametrize("kind", [decompress.GZIP, decompress.XZ, decompress.BZIP2, decompress.ZSTD])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_truncated_data_says_it_is_truncated(kind, keep):
    data = bytes(range(256)) * 2000 + b"some index text " * 10000
    blob = COMPRESSORS[kind](data)
    with pytest.raises(UserError, match=f"^Packages is truncated: its {kind} data ends before the end of the stream$"):
        decompress.decompress_bytes(blob[: int(len(blob) * keep)], kind, "Packages")
