"""Compression: thread-count independence, validity, ratio, one-pass hashing."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import subprocess
import zlib

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.common.errors import UserError
from tools.layer import compress
from tools.layer.builder import LayerBuilder
from tools.layer.compress import LayerOutput
from tools.layer.tests.helpers import sample_data


def _compress(data: bytes, compression: str, *, threads: int = 2, level=None, pieces=None):
    out = io.BytesIO()
    output = LayerOutput(out, compression, level, threads)
    view = memoryview(data)
    for start, end in pieces or [(0, len(data))]:
        output.consume(view[start:end])
    descriptor = output.finish()
    return out.getvalue(), descriptor


@pytest.fixture(scope="module")
def layer_tar() -> bytes:
    """A real layer's tar: several files spanning several gzip blocks."""
    builder = LayerBuilder()
    builder.add_bytes("text", sample_data(3 << 20))
    builder.add_bytes("noise", os.urandom(700_000))
    builder.add_bytes("zeros", bytes(1 << 20))
    out = io.BytesIO()
    builder.write(out, compression="none")
    return out.getvalue()


def test_gzip_identical_for_any_thread_count(layer_tar):
    results = {threads: _compress(layer_tar, "gzip", threads=threads)[0] for threads in (1, 2, 4)}
    assert results[1] == results[2] == results[4]


def test_gzip_output_is_valid_and_decompresses_to_the_tar(layer_tar, tmp_path):
    blob, descriptor = _compress(layer_tar, "gzip")
    assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    assert gzip.decompress(blob) == layer_tar
    assert blob[-8:] == zlib.crc32(layer_tar).to_bytes(4, "little") + len(layer_tar).to_bytes(4, "little")
    assert descriptor.diff_id == "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    assert descriptor.digest == "sha256:" + hashlib.sha256(blob).hexdigest()
    assert descriptor.size == len(blob)
    assert descriptor.media_type == "application/vnd.oci.image.layer.v1.tar+gzip"
    path = tmp_path / "layer.tar.gz"
    path.write_bytes(blob)
    gzip_tool = shutil.which("gzip")
    if gzip_tool is None:
        pytest.skip("gzip is not installed")
    subprocess.run([gzip_tool, "-t", str(path)], check=True)
    assert subprocess.run([gzip_tool, "-dc", str(path)], check=True, capture_output=True).stdout == layer_tar


@pytest.mark.parametrize("size", [0, 1, 512, compress.GZIP_BLOCK_SIZE, 2 * compress.GZIP_BLOCK_SIZE,
                                  2 * compress.GZIP_BLOCK_SIZE + 1])
def test_gzip_block_boundaries(size):
    data = sample_data(size, b"edge")
    blob, _ = _compress(data, "gzip")
    assert gzip.decompress(blob) == data
    assert zlib.decompressobj(31).decompress(blob) == data


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 600_000), max_size=12), level=st.sampled_from([1, 6, 9]))
def test_gzip_bytes_do_not_depend_on_how_the_stream_is_fed(cuts, level):
    data = _FEED_SAMPLE
    points = sorted({0, len(data), *[c % (len(data) + 1) for c in cuts]})
    pieces = list(zip(points, points[1:]))
    whole, _ = _compress(data, "gzip", level=level, threads=1)
    split, _ = _compress(data, "gzip", level=level, threads=3, pieces=pieces)
    assert split == whole


_FEED_SAMPLE = sample_data(600_000, b"feed")


def test_gzip_ratio_within_two_percent_of_gzip_6(tmp_path):
    gzip_tool = shutil.which("gzip")
    if gzip_tool is None:
        pytest.skip("gzip is not installed")
    data = sample_data(8 << 20, b"ratio")
    ours, _ = _compress(data, "gzip")
    reference = subprocess.run([gzip_tool, "-6", "-n", "-c"], input=data, capture_output=True, check=True).stdout
    assert len(ours) <= len(reference) * 1.02, (len(ours), len(reference))


def test_zstd_identical_for_thread_counts_and_not_single_threaded_mode(layer_tar):
    results = {threads: _compress(layer_tar, "zstd", threads=threads)[0] for threads in (1, 2, 4)}
    assert results[1] == results[2] == results[4]
    assert zstandard.ZstdDecompressor().decompressobj().decompress(results[1]) == layer_tar
    single = zstandard.ZstdCompressor(level=3, threads=0, write_checksum=False,
                                      write_content_size=False).compressobj()
    single_threaded = single.compress(layer_tar) + single.flush()
    assert single_threaded != results[1], (
        "zstd's single-threaded output now equals its multi-threaded output; the reason for always "
        "using multi-threaded mode (see compress.py) no longer holds")


def test_zstd_frame_has_no_checksum_or_content_size(layer_tar):
    blob, descriptor = _compress(layer_tar, "zstd")
    params = zstandard.get_frame_parameters(blob)
    assert not params.has_checksum
    assert params.content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert params.dict_id == 0
    assert descriptor.media_type == "application/vnd.oci.image.layer.v1.tar+zstd"


def test_none_is_the_tar_and_digest_equals_diff_id(layer_tar):
    blob, descriptor = _compress(layer_tar, "none")
    assert blob == layer_tar
    assert descriptor.digest == descriptor.diff_id == "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    assert descriptor.media_type == "application/vnd.oci.image.layer.v1.tar"


@pytest.mark.parametrize("compression, level, threads, message", [
    ("gzip", 10, 1, "between 0 and 9"),
    ("zstd", 0, 1, "between 1 and 22"),
    ("none", 3, 1, "makes no sense"),
    ("gzip", None, 0, "at least 1"),
    ("brotli", None, 1, "unknown compression"),
])
def test_bad_settings_are_user_errors(compression, level, threads, message):
    with pytest.raises(UserError, match=message):
        LayerOutput(io.BytesIO(), compression, level, threads)


@pytest.mark.slow
def test_gzip_trailer_size_wraps_past_4_gib():
    zeros = memoryview(bytes(64 << 20))
    out = _Sink()
    output = LayerOutput(out, "gzip", 1, 2)  # type: ignore[arg-type]
    count = 65  # 4 GiB + 64 MiB
    for _ in range(count):
        output.consume(zeros)
    output.finish()
    total = count * len(zeros)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    assert out.tail == crc.to_bytes(4, "little") + (total % 2**32).to_bytes(4, "little")
    decompressor = zlib.decompressobj(31)
    produced = 0
    for piece in out.pieces:
        produced += len(decompressor.decompress(piece))
    assert produced == total and decompressor.eof


class _Sink:
    """Keeps the compressed pieces (a few MiB for zeros) and the trailer."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    @property
    def tail(self) -> bytes:
        return b"".join(self.pieces)[-8:]
