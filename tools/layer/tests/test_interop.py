"""GNU tar and Python's tarfile read our layers correctly: names, modes, links, sizes, contents."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import tarfile

import pytest

from tools.layer.builder import LayerBuilder

GNU_TAR = shutil.which("tar")
pytestmark = pytest.mark.skipif(GNU_TAR is None, reason="GNU tar is not installed")

SPLIT_PATH = "deep/" + "d" * 80 + "/" + "e" * 80 + "/file.txt"  # > 100 bytes, fits prefix + name
PAX_PATH = "x" * 100 + "/" + "y" * 100 + "/" + "z" * 100  # no prefix/name split exists
LONG_TARGET = "/opt/" + "t" * 150
BIG = bytes(range(256)) * 1200 + b"tail"


def _builder() -> LayerBuilder:
    builder = LayerBuilder(mtime=1_600_000_000)
    builder.add_bytes("usr/bin/tool", b"#!/bin/sh\necho hi\n", mode=0o755)
    builder.add_bytes("usr/bin/su", b"setuid", mode=0o4755)
    builder.add_bytes("etc/conf", b"key=value\n")
    builder.add_bytes("empty", b"")
    builder.add_bytes(SPLIT_PATH, b"split")
    builder.add_bytes(PAX_PATH, b"pax")
    builder.add_bytes("données/café.txt", "ünïcödé".encode())
    builder.add_bytes("日本語/ファイル", b"jp")
    builder.add_bytes("big.bin", BIG)
    builder.add_symlink("usr/lib/long", LONG_TARGET)
    builder.add_symlink("usr/lib/abs", "/etc/conf")
    builder.add_symlink("usr/lib/rel", "../../etc/conf")
    builder.add_hardlink("usr/bin/tool-alias", "usr/bin/tool")
    builder.add_hardlink("a-first-link", "usr/bin/tool")
    builder.add_directory("private", mode=0o700)
    return builder


EXPECTED = {  # path: (type, mode, content or link target)
    "a-first-link": ("file", 0o755, b"#!/bin/sh\necho hi\n"),
    "big.bin": ("file", 0o644, BIG),
    "deep": ("dir", 0o755, None),
    "deep/" + "d" * 80: ("dir", 0o755, None),
    "deep/" + "d" * 80 + "/" + "e" * 80: ("dir", 0o755, None),
    SPLIT_PATH: ("file", 0o644, b"split"),
    "données": ("dir", 0o755, None),
    "données/café.txt": ("file", 0o644, "ünïcödé".encode()),
    "empty": ("file", 0o644, b""),
    "etc": ("dir", 0o755, None),
    "etc/conf": ("file", 0o644, b"key=value\n"),
    "private": ("dir", 0o700, None),
    "usr": ("dir", 0o755, None),
    "usr/bin": ("dir", 0o755, None),
    "usr/bin/su": ("file", 0o4755, b"setuid"),
    "usr/bin/tool": ("hardlink", 0o755, "a-first-link"),
    "usr/bin/tool-alias": ("hardlink", 0o755, "a-first-link"),
    "usr/lib": ("dir", 0o755, None),
    "usr/lib/abs": ("symlink", 0o777, "/etc/conf"),
    "usr/lib/long": ("symlink", 0o777, LONG_TARGET),
    "usr/lib/rel": ("symlink", 0o777, "../../etc/conf"),
    "x" * 100: ("dir", 0o755, None),
    "x" * 100 + "/" + "y" * 100: ("dir", 0o755, None),
    PAX_PATH: ("file", 0o644, b"pax"),
    "日本語": ("dir", 0o755, None),
    "日本語/ファイル": ("file", 0o644, b"jp"),
}


@pytest.fixture(scope="module")
def layers(tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("interop")
    result = {}
    for compression, name in (("none", "layer.tar"), ("gzip", "layer.tar.gz")):
        path = str(directory / name)
        with open(path, "wb") as out:
            _builder().write(out, compression=compression, threads=2)
        result[compression] = path
    return result


_TYPE_CHARS = {"file": "-", "dir": "d", "symlink": "l", "hardlink": "h"}


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_gnu_tar_lists_every_entry(layers, compression):
    env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC")
    listing = subprocess.run([GNU_TAR, "--numeric-owner", "-tvf", layers[compression]], env=env,
                             capture_output=True, text=True, check=True).stdout.splitlines()
    seen = {}
    pattern = re.compile(r"^(\S{10}) (\d+)/(\d+) +(\d+) (\S+ \S+) (.*)$")
    for line in listing:
        match = pattern.match(line)
        assert match, line
        mode_string, uid, gid, size, date, rest = match.groups()
        assert (uid, gid, date) == ("0", "0", "2020-09-13 12:26"), line
        if " -> " in rest:
            name, target = rest.split(" -> ")
        elif " link to " in rest:
            name, target = rest.split(" link to ")
        else:
            name, target = rest, None
        seen[name.rstrip("/")] = (mode_string, int(size), target)
    assert sorted(seen) == sorted(EXPECTED)
    for path, (kind, mode, content) in EXPECTED.items():
        mode_string, size, target = seen[path]
        assert mode_string[0] == _TYPE_CHARS[kind], path
        assert mode_string[1:] == stat.filemode(mode)[1:], path
        if kind == "file":
            assert size == len(content), path
        if kind in ("symlink", "hardlink"):
            assert target == content, path


def test_gnu_tar_extracts_identical_tree(layers, tmp_path):
    subprocess.run([GNU_TAR, "-xpf", layers["gzip"], "-C", str(tmp_path)], check=True)
    found = set()
    for root, dirs, files in os.walk(tmp_path):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), tmp_path))
    assert found == set(EXPECTED)
    leader = os.lstat(tmp_path / "a-first-link")
    for path, (kind, mode, content) in EXPECTED.items():
        info = os.lstat(tmp_path / path)
        if kind == "symlink":
            assert os.readlink(tmp_path / path) == content
            continue
        assert stat.S_IMODE(info.st_mode) == mode, path
        if kind == "file":
            assert (tmp_path / path).read_bytes() == content
        elif kind == "hardlink":
            assert (info.st_ino, info.st_dev) == (leader.st_ino, leader.st_dev), path


def test_tarfile_reads_names_modes_links_sizes_contents(layers):
    with tarfile.open(layers["gzip"], "r:gz") as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == sorted(EXPECTED, key=lambda p: p.encode())
        for member in members:
            kind, mode, content = EXPECTED[member.name]
            assert (member.uid, member.gid, member.mtime) == (0, 0, 1_600_000_000)
            assert member.mode == mode, member.name
            if kind == "file":
                assert member.isreg() and member.size == len(content)
                assert archive.extractfile(member).read() == content
            elif kind == "dir":
                assert member.isdir()
            elif kind == "symlink":
                assert member.issym() and member.linkname == content
            else:
                assert member.islnk() and member.linkname == content
                assert archive.extractfile(member).read() == EXPECTED["a-first-link"][2]


def test_uncompressed_and_gzip_layers_hold_the_same_tar(layers):
    import gzip

    with open(layers["none"], "rb") as plain, open(layers["gzip"], "rb") as compressed:
        assert gzip.decompress(compressed.read()) == plain.read()
    with open(layers["none"], "rb") as plain:
        data = plain.read()
    assert len(data) % 512 == 0 and data.endswith(bytes(1024))
    assert b"PaxHeader" in data and b"mtime=" not in data and b"atime=" not in data
    assert tarfile.open(fileobj=io.BytesIO(data)).getnames()[0] == "a-first-link"
