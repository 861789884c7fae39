"""Normalization rules of LayerBuilder: paths, order, modes, duplicates, hard links, tar inputs."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile

import pytest
import zstandard

from tools.common.errors import UserError
from tools.layer.builder import Entry, LayerBuilder
from tools.layer.tests.helpers import layer_bytes, read_tar, tar_contents


def _listing(builder: LayerBuilder) -> list[tuple[str, str, int, str]]:
    return [(e.path, e.type, e.mode, e.target) for e in builder.entries()]


def _write(path, data: bytes, mode: int = 0o644) -> str:
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def _make_tar(path, members: list[tuple[tarfile.TarInfo, bytes]], compression: str = "") -> str:
    """Writes a fixture tar with tarfile (reading fixtures only; our writer never uses tarfile)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    data = raw.getvalue()
    data = {
        "": lambda d: d,
        "gz": gzip.compress,
        "xz": lzma.compress,
        "bz2": bz2.compress,
        "zst": lambda d: zstandard.ZstdCompressor().compress(d),
    }[compression](data)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def _info(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    info.uid, info.gid, info.uname, info.gname = 1000, 1000, "builder", "builder"
    info.mtime = 1_700_000_000
    return info


# Paths ---------------------------------------------------------------------------------------------


def test_paths_are_normalized():
    builder = LayerBuilder()
    builder.add_bytes("./a//b/./c", b"x")
    builder.add_directory("d/e/")
    assert _listing(builder) == [
        ("a", "dir", 0o755, ""),
        ("a/b", "dir", 0o755, ""),
        ("a/b/c", "file", 0o644, ""),
        ("d", "dir", 0o755, ""),
        ("d/e", "dir", 0o755, ""),
    ]


@pytest.mark.parametrize("bad, message", [
    ("/etc/passwd", "absolute"),
    ("a/../../etc", "'..'"),
    ("..", "'..'"),
    (".", "layer root"),
    ("", "layer root"),
])
def test_bad_paths_are_rejected_naming_input_and_path(bad, message):
    builder = LayerBuilder()
    with pytest.raises(UserError, match=message) as error:
        builder.add_bytes(bad, b"x")
    assert "bytes given in memory" in str(error.value) and repr(bad) in str(error.value)
    with pytest.raises(UserError, match="hardlink entry 'ok' \\(target\\)"):
        builder.add_hardlink("ok", "/abs" if bad.startswith("/") else "../x")


def test_entries_sorted_by_utf8_bytes_and_parents_added():
    builder = LayerBuilder()
    for path in ["é", "z", "a/b", "a-b", "B", "a.b/c"]:
        builder.add_bytes(path, b"")
    assert [e.path for e in builder.entries()] == ["B", "a", "a-b", "a.b", "a.b/c", "a/b", "z", "é"]
    data, _ = layer_bytes(builder)
    assert [m.name for m in read_tar(data)] == ["B", "a", "a-b", "a.b", "a.b/c", "a/b", "z", "é"]
    assert data[: 512][:2] == b"B\0"
    assert b"./" not in data[:512]


def test_directories_have_trailing_slash_and_no_root_entry():
    builder = LayerBuilder()
    builder.add_directory("d")
    data, _ = layer_bytes(builder)
    assert data[:3] == b"d/\0"
    assert len(data) == 512 + 1024, "one header plus two zero blocks, no 10240-byte record padding"


# Modes, owners, times -------------------------------------------------------------------------------


def test_modes_are_declared_or_follow_content_never_permission_bits(tmp_path):
    builder = LayerBuilder()
    builder.add_file("exec_bits_data", _write(tmp_path / "a", b"a", 0o700))
    builder.add_file("setuid_bits_data", _write(tmp_path / "d", b"d", 0o4755))
    builder.add_file("script_without_bits", _write(tmp_path / "s", b"#!/bin/sh\necho\n", 0o600))
    builder.add_file("plain", _write(tmp_path / "c", b"c", 0o600))
    builder.add_file("setuid_explicit", tmp_path / "c", mode=0o4755)
    builder.add_file("explicit_plain", tmp_path / "s", mode=0o600)
    builder.add_bytes("bytes", b"")
    builder.add_bytes("bytes_sticky", b"", mode=0o1777)
    builder.add_symlink("link", "plain")
    builder.add_directory("dir_default")
    builder.add_directory("dir_given", mode=0o2750)
    modes = {e.path: e.mode for e in builder.entries()}
    assert modes == {
        "exec_bits_data": 0o644, "setuid_bits_data": 0o644, "script_without_bits": 0o755, "plain": 0o644,
        "setuid_explicit": 0o4755, "explicit_plain": 0o600, "bytes": 0o644, "bytes_sticky": 0o1777,
        "link": 0o777, "dir_default": 0o755, "dir_given": 0o2750,
    }
    data, _ = layer_bytes(builder)
    assert {m.name: m.mode for m in read_tar(data) if m.isreg()} == {
        path: mode for path, mode in modes.items() if path not in ("link", "dir_default", "dir_given")
    }
    with pytest.raises(UserError, match="mode"):
        builder.add_bytes("x", b"", mode=0o10000)


def test_owners_times_and_names_are_fixed(tmp_path):
    src = _write(tmp_path / "f", b"data")
    os.utime(src, (12345, 67890))
    os.chown(src, 1234, 5678)
    builder = LayerBuilder(mtime=1_000_000, uname="u", gname="g")
    builder.add_file("d/f", src)
    data, _ = layer_bytes(builder)
    for member in read_tar(data):
        assert (member.uid, member.gid, member.uname, member.gname, member.mtime) == (0, 0, "u", "g", 1_000_000)
    with pytest.raises(UserError, match="uname"):
        LayerBuilder(uname="x" * 32)
    with pytest.raises(UserError, match="mtime"):
        LayerBuilder(mtime=-1)


# Duplicates -----------------------------------------------------------------------------------------


def test_identical_duplicates_merge(tmp_path):
    builder = LayerBuilder()
    builder.add_file("f", _write(tmp_path / "one", b"same"))
    builder.add_file("f", _write(tmp_path / "two", b"same"))
    builder.add_bytes("f", b"same")
    builder.add_symlink("l", "t")
    builder.add_symlink("./l", "t")
    builder.add_hardlink("h", "f")
    builder.add_hardlink("h", "f")
    assert _listing(builder) == [("f", "file", 0o644, ""), ("h", "hardlink", 0o644, "f"), ("l", "symlink", 0o777, "t")]


@pytest.mark.parametrize("second", ["content", "mode", "type", "target"])
def test_conflicting_duplicates_name_path_and_both_sources(tmp_path, second):
    builder = LayerBuilder()
    first = _write(tmp_path / "first", b"one")
    if second == "target":
        builder.add_symlink("p", "one")
        with pytest.raises(UserError, match="conflicting entries for 'p'.*'one'.*'two'"):
            builder.add_symlink("p", "two")
        return
    builder.add_file("p", first)
    with pytest.raises(UserError) as error:
        if second == "content":
            builder.add_file("p", _write(tmp_path / "second", b"two"))
        elif second == "mode":
            builder.add_file("p", first, mode=0o600)
        else:
            builder.add_directory("p")
    message = str(error.value)
    assert "conflicting entries for 'p'" in message and str(first) in message
    assert "\n" not in message
    if second == "content":
        assert str(tmp_path / "second") in message


def test_directory_explicit_mode_wins_over_implicit_and_default(tmp_path):
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    builder = LayerBuilder()
    builder.add_bytes("a/b/c", b"")
    builder.add_directory("a", mode=0o700)
    builder.add_directory("a")
    builder.add_tree("t", tmp_path / "tree")
    builder.add_directory("t/sub", mode=0o750)
    modes = {e.path: e.mode for e in builder.entries()}
    assert modes["a"] == 0o700 and modes["a/b"] == 0o755 and modes["t/sub"] == 0o750
    with pytest.raises(UserError, match="conflicting entries for 'a'"):
        builder.add_directory("a", mode=0o755)


def test_file_used_as_parent_directory_is_rejected():
    builder = LayerBuilder()
    builder.add_bytes("a", b"")
    builder.add_bytes("a/b", b"")
    with pytest.raises(UserError, match="'a' is a regular file.*'a/b'.*directory"):
        builder.entries()


# Hard links -----------------------------------------------------------------------------------------


def test_hardlink_group_written_at_first_sorted_path(tmp_path):
    builder = LayerBuilder()
    builder.add_hardlink("m/a", "m/z")
    builder.add_file("m/z", _write(tmp_path / "f", b"content"), mode=0o755)
    builder.add_hardlink("m/k", "m/a")  # through another link
    assert _listing(builder) == [
        ("m", "dir", 0o755, ""),
        ("m/a", "file", 0o755, ""),
        ("m/k", "hardlink", 0o755, "m/a"),
        ("m/z", "hardlink", 0o755, "m/a"),
    ]
    data, _ = layer_bytes(builder)
    members = read_tar(data)
    assert [(m.name, m.type, m.linkname) for m in members] == [
        ("m", tarfile.DIRTYPE, ""), ("m/a", tarfile.REGTYPE, ""),
        ("m/k", tarfile.LNKTYPE, "m/a"), ("m/z", tarfile.LNKTYPE, "m/a"),
    ]
    assert tar_contents(data) == {"m/a": b"content"}


@pytest.mark.parametrize("setup, message", [
    (lambda b: b.add_hardlink("a", "missing"), "points at 'missing', which is not in the layer"),
    (lambda b: (b.add_directory("d"), b.add_hardlink("a", "d")), "a dir; hard links must point at regular files"),
    (lambda b: (b.add_hardlink("a", "b"), b.add_hardlink("b", "a")), "cycle"),
    (lambda b: (b.add_symlink("s", "x"), b.add_hardlink("a", "s")), "regular files"),
])
def test_bad_hardlinks_are_rejected(setup, message):
    builder = LayerBuilder()
    setup(builder)
    with pytest.raises(UserError, match=message):
        builder.write(io.BytesIO(), compression="none")


# Trees ----------------------------------------------------------------------------------------------


def test_add_tree_keeps_symlinks_and_ignores_inode_hardlinks(tmp_path):
    tree = tmp_path / "tree"
    _write(tree / "bin" / "tool", b"#!", 0o750)
    _write(tree / "data.txt", b"text", 0o600)
    os.link(tree / "data.txt", tree / "copy.txt")
    os.symlink("/etc/absolute", tree / "abs")
    os.symlink("../../outside", tree / "bin" / "rel")
    os.mkdir(tree / "empty", 0o700)
    builder = LayerBuilder()
    builder.add_tree("opt/app", tree)
    assert _listing(builder) == [
        ("opt", "dir", 0o755, ""),
        ("opt/app", "dir", 0o755, ""),
        ("opt/app/abs", "symlink", 0o777, "/etc/absolute"),
        ("opt/app/bin", "dir", 0o755, ""),
        ("opt/app/bin/rel", "symlink", 0o777, "../../outside"),
        ("opt/app/bin/tool", "file", 0o755, ""),
        ("opt/app/copy.txt", "file", 0o644, ""),
        ("opt/app/data.txt", "file", 0o644, ""),
        ("opt/app/empty", "dir", 0o755, ""),
    ]


def test_add_tree_at_root_and_rejects_fifo(tmp_path):
    _write(tmp_path / "t" / "f", b"")
    builder = LayerBuilder()
    builder.add_tree("", tmp_path / "t")
    assert [e.path for e in builder.entries()] == ["f"]
    os.mkfifo(tmp_path / "t" / "pipe")
    with pytest.raises(UserError, match="'pipe' is a device, FIFO or socket"):
        LayerBuilder().add_tree("x", tmp_path / "t")


# Input problems -------------------------------------------------------------------------------------


def test_missing_or_directory_input_file_is_a_user_error(tmp_path):
    builder = LayerBuilder()
    with pytest.raises(UserError, match="cannot read input file .*missing.*No such file"):
        builder.add_file("a", tmp_path / "missing")
    with pytest.raises(UserError, match="is a directory"):
        builder.add_file("a", tmp_path)
    with pytest.raises(UserError, match="not a directory"):
        builder.add_tree("a", _write(tmp_path / "file", b""))


def test_file_changed_after_adding_is_detected(tmp_path):
    src = _write(tmp_path / "f", b"short")
    builder = LayerBuilder()
    builder.add_file("f", src)
    _write(src, b"much longer now")
    with pytest.raises(UserError, match="changed after it was added"):
        builder.write(io.BytesIO(), compression="none")
    os.unlink(src)
    with pytest.raises(UserError, match="cannot read input file"):
        builder.write(io.BytesIO(), compression="none")


# Tar inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["", "gz", "xz", "bz2", "zst"])
def test_add_tar_detects_compression_and_keeps_modes(tmp_path, compression):
    tar = _make_tar(tmp_path / "in.tar", [
        (_info("./", tarfile.DIRTYPE, 0o755), b""),
        (_info("./usr/bin/", tarfile.DIRTYPE, 0o775), b""),
        (_info("./usr/bin/su", mode=0o4755), b"setuid"),
        (_info("./usr/bin/plain", mode=0o640), b"plain"),
        (_info("./usr/bin/abs", tarfile.SYMTYPE, 0o755, "/bin/true"), b""),
        (_info("./usr/bin/up", tarfile.SYMTYPE, 0o777, "../../etc/x"), b""),
    ], compression)
    with LayerBuilder() as builder:
        builder.add_tar(tar, prefix="pkg")
        assert [(e.path, e.type, e.mode, e.target) for e in builder.entries()] == [
            ("pkg", "dir", 0o755, ""),
            ("pkg/usr", "dir", 0o755, ""),
            ("pkg/usr/bin", "dir", 0o775, ""),
            ("pkg/usr/bin/abs", "symlink", 0o777, "/bin/true"),
            ("pkg/usr/bin/plain", "file", 0o640, ""),
            ("pkg/usr/bin/su", "file", 0o4755, ""),
            ("pkg/usr/bin/up", "symlink", 0o777, "../../etc/x"),
        ]
        data, _ = layer_bytes(builder)
    assert tar_contents(data) == {"pkg/usr/bin/plain": b"plain", "pkg/usr/bin/su": b"setuid"}
    for member in read_tar(data):
        assert (member.uid, member.gid, member.uname, member.mtime) == (0, 0, "", 0)


def test_add_tar_remaps_hardlinks_to_first_sorted_path(tmp_path):
    tar = _make_tar(tmp_path / "in.tar.gz", [
        (_info("z/original", mode=0o700), b"shared"),
        (_info("a/link", tarfile.LNKTYPE, 0o600, "z/original"), b""),
        (_info("m/link", tarfile.LNKTYPE, 0o600, "./z/original"), b""),
    ], "gz")
    with LayerBuilder() as builder:
        builder.add_tar(tar)
        data, _ = layer_bytes(builder)
    assert [(m.name, m.type, m.linkname, m.mode) for m in read_tar(data) if not m.isdir()] == [
        ("a/link", tarfile.REGTYPE, "", 0o700),
        ("m/link", tarfile.LNKTYPE, "a/link", 0o700),
        ("z/original", tarfile.LNKTYPE, "a/link", 0o700),
    ]
    assert tar_contents(data) == {"a/link": b"shared"}


@pytest.mark.parametrize("kind, message", [
    (tarfile.CHRTYPE, "is a device node"),
    (tarfile.BLKTYPE, "is a device node"),
    (tarfile.FIFOTYPE, "is a FIFO"),
])
def test_add_tar_rejects_special_files_naming_tar_and_member(tmp_path, kind, message):
    tar = _make_tar(tmp_path / "dev.tar", [(_info("dev/null", kind, 0o666), b"")])
    with pytest.raises(UserError, match=message) as error:
        LayerBuilder().add_tar(tar)
    assert "dev.tar" in str(error.value) and "'dev/null'" in str(error.value)


def test_add_tar_rejects_escaping_member_and_missing_link_target(tmp_path):
    bad = _make_tar(tmp_path / "bad.tar", [(_info("../evil"), b"x")])
    with pytest.raises(UserError, match="bad.tar.*'../evil'.*'..'"):
        LayerBuilder().add_tar(bad)
    dangling = _make_tar(tmp_path / "dangling.tar", [(_info("a", tarfile.LNKTYPE, 0o644, "gone"), b"")])
    with LayerBuilder() as builder:
        builder.add_tar(dangling)
        with pytest.raises(UserError, match="dangling.tar.*points at 'gone', which is not in the layer"):
            builder.entries()


def test_add_tar_rejects_garbage(tmp_path):
    garbage = _write(tmp_path / "garbage.tar.gz", b"\x1f\x8b\x08\x00" + bytes(6) + b"\xff" * 100)
    with pytest.raises(UserError, match="is not valid gzip data: "):
        LayerBuilder().add_tar(garbage)
    not_tar = _write(tmp_path / "notatar", b"hello" * 200)
    with pytest.raises(UserError, match="not a valid tar archive"):
        LayerBuilder().add_tar(not_tar)


def test_compressed_tar_is_spooled_to_an_unlinked_file(tmp_path):
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    tar = _make_tar(tmp_path / "in.tar.xz", [(_info("f"), b"payload" * 1000)], "xz")
    builder = LayerBuilder(tmpdir=str(spool_dir))
    builder.add_tar(tar)
    assert os.listdir(spool_dir) == []
    data, _ = layer_bytes(builder)
    builder.close()
    assert tar_contents(data) == {"f": b"payload" * 1000}


def test_tar_and_tree_duplicates_merge_when_identical(tmp_path):
    _write(tmp_path / "tree" / "etc" / "conf", b"same", 0o644)
    tar = _make_tar(tmp_path / "in.tar", [(_info("etc/", tarfile.DIRTYPE, 0o755), b""),
                                          (_info("etc/conf", mode=0o644), b"same")])
    with LayerBuilder() as builder:
        builder.add_tree("", tmp_path / "tree")
        builder.add_tar(tar)
        assert [e.path for e in builder.entries()] == ["etc", "etc/conf"]


# Output ---------------------------------------------------------------------------------------------


class _PipeLike:
    """Accepts only sequential writes, like a pipe."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_write_to_pipe_like_output_matches_descriptor(compression):
    builder = LayerBuilder()
    builder.add_bytes("big", os.urandom(3 << 20))
    out = _PipeLike()
    descriptor = builder.write(out, compression=compression, threads=2)
    blob = b"".join(out.chunks)
    import hashlib

    assert descriptor.size == len(blob)
    assert descriptor.digest == "sha256:" + hashlib.sha256(blob).hexdigest()
    assert descriptor.to_json() == {"mediaType": descriptor.media_type, "digest": descriptor.digest,
                                    "size": descriptor.size, "diffID": descriptor.diff_id}
    assert descriptor.media_type.startswith("application/vnd.oci.image.layer.v1.tar")


def test_entries_report_sha256_and_listing_line(tmp_path):
    builder = LayerBuilder()
    builder.add_bytes("dir with space/f", b"abc", mode=0o4755)
    builder.add_symlink("l", "target\nnewline")
    entries = builder.entries()
    assert entries[1] == Entry("dir with space/f", "file", 0o4755, 3,
                               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "")
    assert [e.listing_line() for e in entries] == [
        "0755 dir 0 - dir\\x20with\\x20space/",
        "4755 file 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad dir\\x20with\\x20space/f",
        "0777 symlink 0 target\\x0anewline l",
    ]


def test_plain_tar_whose_first_name_looks_like_a_magic_is_read_as_plain(tmp_path):
    tar = _make_tar(tmp_path / "in.tar", [(_info("BZh9-notes.txt"), b"n"), (_info("\x1f\x8bodd"), b"o")])
    with LayerBuilder() as builder:
        builder.add_tar(tar)
        assert [e.path for e in builder.entries()] == ["\x1f\x8bodd", "BZh9-notes.txt"]


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_output_errors_pass_through_and_stop_workers(tmp_path, compression):
    import errno
    import threading

    class _FullDisk:
        def write(self, data) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    builder = LayerBuilder()
    builder.add_file("f", _write(tmp_path / "f", os.urandom(3 << 20)))
    threads_before = threading.active_count()
    with pytest.raises(OSError) as error:
        builder.write(_FullDisk(), compression=compression, threads=2)
    assert error.value.errno == errno.ENOSPC and not isinstance(error.value, UserError)
    assert threading.active_count() == threads_before


@pytest.mark.parametrize("compression", ["gz", "xz", "bz2", "zst"])
def test_corrupt_or_truncated_compressed_tar_is_a_user_error(tmp_path, compression):
    tar = _make_tar(tmp_path / "in.tar", [(_info("f"), os.urandom(50_000))], compression)
    with open(tar, "rb") as f:
        data = bytearray(f.read())
    truncated = _write(tmp_path / "truncated", bytes(data[: len(data) // 2]))
    with pytest.raises(UserError, match="truncated' is truncated: its (gzip|xz|bzip2|zstd) data ends before"):
        LayerBuilder(tmpdir=str(tmp_path)).add_tar(truncated)
    if compression != "zst":  # zstd frames written without a checksum cannot reveal flipped bytes
        data[len(data) // 2 : len(data) // 2 + 16] = bytes(16)
        corrupt = _write(tmp_path / "corrupt", bytes(data))
        # Caught while decompressing or listing members.
        with pytest.raises(UserError, match="not valid (gzip|xz|bzip2) data|not a valid tar"):
            LayerBuilder(tmpdir=str(tmp_path)).add_tar(corrupt)


@pytest.mark.parametrize("cut", [1024, 1536 + 512, 1536 + 100])
def test_a_plain_tar_cut_short_is_truncated(tmp_path, cut):
    """Member a is blocks 0-1 and b blocks 2-4: cut right after a (where tarfile alone would read
    a shorter archive, b lost), inside b's data on a block boundary, and inside a block."""
    whole = _make_tar(tmp_path / "whole.tar", [(_info("a"), b"a" * 10), (_info("b"), b"b" * 1000)])
    with open(whole, "rb") as f:
        short = _write(tmp_path / "short.tar", f.read()[:cut])
    with pytest.raises(UserError, match=r"short.tar' is truncated: "):
        LayerBuilder().add_tar(short)
