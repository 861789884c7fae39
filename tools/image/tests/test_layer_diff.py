"""Entry-by-entry layer comparison: correctness of the walk and flat memory."""

from __future__ import annotations

import dataclasses
import sys
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from tools.image.layer_diff import EntryMeta, compare_entry_streams, compare_layer_blobs
from tools.image.tests.fixtures import Entry, gzip_bytes, tar_bytes


def meta(path: str, **changes) -> EntryMeta:
    base = EntryMeta(path=path, type="file", mode=0o644, uid=0, gid=0, uname="", gname="", mtime=0, size=1,
                     linkname="", devmajor=0, devminor=0, content="sha256:" + "0" * 64, pax=())
    return dataclasses.replace(base, **changes)


def paths_only(*paths: str) -> list[EntryMeta]:
    return [meta(p) for p in paths]


def test_equal_streams():
    result = compare_entry_streams(iter(paths_only("a", "b")), iter(paths_only("a", "b")))
    assert result.first is None and result.differing_entries == 0 and not result.compared_by_path


def test_sorted_streams_with_insertions_are_merged_without_fallback():
    result = compare_entry_streams(iter(paths_only("a", "b", "d", "e")), iter(paths_only("a", "c", "d", "e", "f")))
    assert not result.compared_by_path
    assert result.differing_entries == 3  # b only in A, c and f only in B
    assert (result.first.path, result.first.only_in) == ("b", "A")


def test_same_unsorted_order_is_compared_in_lockstep():
    a = [meta("z"), meta("a"), meta("m", mtime=5)]
    b = [meta("z"), meta("a"), meta("m", mtime=6)]
    result = compare_entry_streams(iter(a), iter(b))
    assert not result.compared_by_path
    assert result.first.path == "m"
    assert [(f.field, f.a, f.b) for f in result.first.fields] == [("mtime", 5, 6)]


def test_different_orders_fall_back_to_matching_by_path():
    a = [meta("b"), meta("a"), meta("c", mode=0o600), meta("only-a")]
    b = [meta("a"), meta("c"), meta("b"), meta("only-b")]
    result = compare_entry_streams(iter(a), iter(b))
    assert result.compared_by_path
    assert result.differing_entries == 3
    assert result.first.path == "c" and result.first.fields[0].field == "mode"


def test_sortedness_broken_after_a_merge_step_is_still_correct():
    # The merge first sets "b" aside as only-in-A; B later turns out unsorted and has "b".
    a = paths_only("a", "b", "c")
    b = paths_only("a", "c", "b")
    result = compare_entry_streams(iter(a), iter(b))
    assert result.differing_entries == 0 and result.compared_by_path


def test_first_difference_is_first_in_path_order_not_stream_order():
    a = [meta("z", uid=1), meta("y"), meta("b", gid=2)]
    b = [meta("z"), meta("y"), meta("b")]
    result = compare_entry_streams(iter(a), iter(b))
    assert result.first.path == "b" and result.differing_entries == 2


def test_pax_headers_that_tar_adds_are_compared():
    a = [meta("f", pax=(("atime", "1.5"),))]
    b = [meta("f", pax=(("atime", "2.5"),))]
    result = compare_entry_streams(iter(a), iter(b))
    assert result.first.fields[0].field == "pax_headers.atime"


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_real_tars_every_compression(tmp_path, compression):
    entries = [Entry("d", type="dir"), Entry("d/f", b"one"), Entry("d/l", type="symlink", linkname="f")]
    changed = [Entry("d", type="dir"), Entry("d/f", b"two"), Entry("d/l", type="symlink", linkname="g")]

    def encode(data: bytes) -> bytes:
        if compression == "gzip":
            return gzip_bytes(data)
        if compression == "zstd":
            import zstandard

            return zstandard.ZstdCompressor().compress(data)
        return data

    a = write(tmp_path / "a", encode(tar_bytes(entries)))
    b = write(tmp_path / "b", encode(tar_bytes(changed)))
    result = compare_layer_blobs(a, b)
    assert result.note is None
    assert result.first.path == "d/f" and result.differing_entries == 2
    assert [f.field for f in result.first.fields] == ["content"]


def test_zstd_without_the_module_is_explained(tmp_path, monkeypatch):
    import zstandard

    blob = write(tmp_path / "a", zstandard.ZstdCompressor().compress(tar_bytes([Entry("f", b"x")])))
    monkeypatch.setitem(sys.modules, "zstandard", None)  # what `import zstandard` finds without it
    result = compare_layer_blobs(blob, blob)
    assert result.note == (f"cannot look inside the layer of A: layer blob {blob} is zstd-compressed; "
                           "reading it needs the 'zstandard' Python package")


def test_corrupt_blob_is_a_note_not_a_crash(tmp_path):
    good = write(tmp_path / "good", gzip_bytes(tar_bytes([Entry("f", b"x")])))
    bad = write(tmp_path / "bad", gzip_bytes(tar_bytes([Entry("f", b"x" * 5000)]))[:60])
    result = compare_layer_blobs(good, bad)
    assert result.note and "layer of B" in result.note


def test_memory_does_not_grow_with_file_size(tmp_path):
    size = 48 << 20
    big_a = tmp_path / "a.tar"
    big_b = tmp_path / "b.tar"
    for path, last in ((big_a, b"A"), (big_b, b"B")):
        with tarfile.open(path, "w") as tf:
            info = tarfile.TarInfo("big")
            info.size = size
            with open(tmp_path / "payload", "wb") as payload:
                payload.truncate(size - 1)
                payload.seek(size - 1)
                payload.write(last)
            with open(tmp_path / "payload", "rb") as payload:
                tf.addfile(info, payload)
    tracemalloc.start()
    try:
        result = compare_layer_blobs(str(big_a), str(big_b))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.first.path == "big" and result.first.fields[0].field == "content"
    assert peak < 8 << 20, peak


def _peak_comparing(tmp_path: Path, count: int) -> int:
    entries = [Entry(f"dir/file{i:05d}", b"x") for i in range(count)]
    a = write(tmp_path / f"a{count}.tar", tar_bytes(entries))
    b = write(tmp_path / f"b{count}.tar", tar_bytes(entries[:-1] + [Entry(entries[-1].path, b"y")]))
    tracemalloc.start()
    try:
        result = compare_layer_blobs(a, b)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.first.path == entries[-1].path and result.differing_entries == 1
    assert not result.compared_by_path
    return peak


def test_memory_does_not_grow_with_entry_count(tmp_path):
    small, large = _peak_comparing(tmp_path, 1000), _peak_comparing(tmp_path, 8000)
    # 7000 more TarInfo objects kept around would add megabytes.
    assert large < small + (256 << 10), (small, large)
