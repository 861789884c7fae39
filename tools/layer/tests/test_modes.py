"""The one mode policy: declared, else recorded by the package, else the content rule; never the bits."""

from __future__ import annotations

import json
import os
import stat
import struct
import sys
import tarfile

import pytest

from tools.common.errors import UserError
from tools.layer import modes
from tools.layer.builder import LayerBuilder
from tools.layer.tests.helpers import layer_bytes, read_tar, run_cli


def _elf(elf_type: int, *, interp: bool, bits: int = 64, order: str = "<", phoff: int | None = None,
         pad: int = 0) -> bytes:
    """A minimal ELF file: identification, header and a program header table (PT_LOAD [+ PT_INTERP])."""
    phentsize = 56 if bits == 64 else 32
    types = [1] + ([3] if interp else [])
    header_size = 64 if bits == 64 else 52
    phoff = header_size + pad if phoff is None else phoff
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    if bits == 64:
        header = ident + struct.pack(order + "HHIQQQIHHHHHH", elf_type, 62, 1, 0, phoff, 0, 0, header_size,
                                     phentsize, len(types), 64, 0, 0)
    else:
        header = ident + struct.pack(order + "HHIIIIIHHHHHH", elf_type, 3, 1, 0, phoff, 0, 0, header_size,
                                     phentsize, len(types), 40, 0, 0)
    table = b"".join(struct.pack(order + "I", t) + bytes(phentsize - 4) for t in types)
    body = header.ljust(phoff, b"\0") + table
    return body + b"\0" * 64


@pytest.mark.parametrize("content, mode", [
    (b"#!/bin/sh\necho hi\n", 0o755),
    (b"#! /usr/bin/env python3\n", 0o755),
    (b"# not a script\n", 0o644),
    (b"", 0o644),
    (b"\x7fELF", 0o644),  # too short to be an ELF file: data
    (_elf(2, interp=False), 0o755),  # ET_EXEC: a static or non-PIE program
    (_elf(3, interp=True), 0o755),  # ET_DYN with an interpreter: a PIE program
    (_elf(3, interp=False), 0o644),  # ET_DYN without one: a shared library
    (_elf(1, interp=False), 0o644),  # ET_REL: an object file
    (_elf(3, interp=True, bits=32), 0o755),
    (_elf(3, interp=False, bits=32), 0o644),
    (_elf(3, interp=True, order=">"), 0o755),
    (_elf(2, interp=False, order=">", bits=32), 0o755),
])
def test_content_rule(content, mode):
    assert modes.from_content(content) == mode


def test_content_rule_reads_program_headers_beyond_the_head():
    far = _elf(3, interp=True, pad=modes.HEAD_SIZE * 2)
    head = far[: modes.HEAD_SIZE]
    assert modes.from_content(head) == 0o644, "without a reader, headers it cannot see count as absent"
    assert modes.from_content(head, lambda offset, size: far[offset : offset + size]) == 0o755


def test_content_rule_on_real_binaries():
    import _ssl  # an extension module: a shared library, not a program

    executable = os.path.realpath(sys.executable)
    with open(executable, "rb") as f:
        assert modes.from_content(f.read(modes.HEAD_SIZE)) == 0o755, executable
    with open(_ssl.__file__, "rb") as f:
        assert modes.from_content(f.read(modes.HEAD_SIZE)) == 0o644, _ssl.__file__


def test_record_round_trip_and_lookup(tmp_path):
    tree = tmp_path / "repo"
    (tree / "usr/bin").mkdir(parents=True)
    record = tree / modes.RECORD_NAME
    record.write_bytes(modes.format_record({"usr/bin/tool": 0o4755, "usr/share/a b.txt": 0o644}))
    assert modes.parse_record(str(record)) == {"usr/bin/tool": 0o4755, "usr/share/a b.txt": 0o644}
    records = modes.Records()
    records.add(str(record))
    assert records.lookup(str(tree / "usr/bin/tool")) == 0o4755
    assert records.lookup(str(tree / "usr/share/a b.txt")) == 0o644
    assert records.lookup(str(tmp_path / "elsewhere")) is None
    with pytest.raises(UserError, match="does not name it; the record and the tree are out of step"):
        records.lookup(str(tree / "usr/bin/other"))


@pytest.mark.parametrize("text, message", [
    (b"0644 a\n", "not a mode record"),
    (modes.format_record({"a": 0o644}).rstrip(b"\n"), "no final newline"),
    (modes.format_record({"a": 0o644}) + b"644 b\n", ":3: expected '<octal mode> <path>'"),
    (modes.format_record({"a": 0o644}) + b"0698 b\n", ":3: expected"),
    (modes.format_record({"a": 0o644}) + b"\xff\n", "not UTF-8"),
])
def test_bad_records_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / modes.RECORD_NAME
    path.write_bytes(text)
    with pytest.raises(UserError, match=message) as error:
        modes.parse_record(str(path))
    assert "\n" not in str(error.value)


def test_record_cannot_hold_line_breaks():
    with pytest.raises(UserError, match="line break"):
        modes.format_record({"a\nb": 0o644})


# Inputs seen with other permission bits (a remote worker, a core.fileMode=false clone) ---------------

_PROGRAM = _elf(3, interp=True)
_LIBRARY = _elf(3, interp=False)


def _inputs(root) -> None:
    """A workspace-like tree: sources, a generated launcher, and a package tree with its record."""
    files = {
        "src/app.py": b"print('hi')\n",
        "src/run.sh": b"#!/bin/sh\nexec app\n",
        "src/data.json": b"{}\n",
        "src/tool": _PROGRAM,
        "src/libx.so": _LIBRARY,
        "out/launcher": b"generated, declared executable by its rule\n",
        "out/tree/nested.txt": b"a file of a directory output\n",
        "out/tree/nested.sh": b"#!/bin/sh\n",
        "external/pkgs/usr/bin/prog": _PROGRAM,
        "external/pkgs/usr/lib/libp.so.1": _LIBRARY,
        "external/pkgs/usr/lib/python3/cgi.py": b"#! /usr/local/bin/python\n",  # 0644 in its package
        "external/pkgs/usr/sbin/helper": b"setuid in its package\n",
    }
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (root / "external/pkgs" / modes.RECORD_NAME).write_bytes(modes.format_record({
        "usr/bin/prog": 0o755, "usr/lib/libp.so.1": 0o644, "usr/lib/python3/cgi.py": 0o644,
        "usr/sbin/helper": 0o4755,
    }))


def _spec(root) -> str:
    entries = [{"path": f"app/{name}", "type": "file", "src": f"src/{name}"}
               for name in ("app.py", "run.sh", "data.json", "tool", "libx.so")]
    entries.append({"path": "app/launcher", "type": "file", "src": "out/launcher", "mode": "0755"})
    entries.append({"path": "app/tree", "type": "tree", "src": "out/tree"})
    entries += [{"path": path, "type": "file", "src": f"external/pkgs/{path}"}
                for path in ("usr/bin/prog", "usr/lib/libp.so.1", "usr/lib/python3/cgi.py", "usr/sbin/helper")]
    spec = root / "layer.json"
    spec.write_text(json.dumps({"entries": entries, "mode_records": [f"external/pkgs/{modes.RECORD_NAME}"]}))
    return str(spec)


def _set_bits(root, executable: bool) -> None:
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            os.chmod(path, 0o755 if executable else 0o444)


def test_layer_is_identical_whether_every_input_is_executable_or_none(tmp_path):
    layers = {}
    for variant in ("all_executable", "none_executable"):
        root = tmp_path / variant
        _inputs(root)
        spec = _spec(root)
        _set_bits(root, variant == "all_executable")
        result = run_cli(["--spec", spec, "--output", str(tmp_path / f"{variant}.tar"), "--compression", "none",
                          "--mtime", "0"], cwd=str(root))
        assert result.returncode == 0, result.stderr
        layers[variant] = (tmp_path / f"{variant}.tar").read_bytes()
    assert layers["all_executable"] == layers["none_executable"]
    assert {m.name: m.mode for m in read_tar(layers["all_executable"]) if m.isreg()} == {
        "app/app.py": 0o644,  # source data
        "app/run.sh": 0o755,  # a script by its #! line
        "app/data.json": 0o644,
        "app/tool": 0o755,  # an ELF program
        "app/libx.so": 0o644,  # a shared library
        "app/launcher": 0o755,  # declared executable by its rule
        "app/tree/nested.sh": 0o755,
        "app/tree/nested.txt": 0o644,
        "usr/bin/prog": 0o755,  # recorded by the package
        "usr/lib/libp.so.1": 0o644,
        "usr/lib/python3/cgi.py": 0o644,  # the package's mode wins over the #! line
        "usr/sbin/helper": 0o4755,
    }


def test_tree_entries_below_a_recorded_tree_take_recorded_modes(tmp_path):
    _inputs(tmp_path)
    builder = LayerBuilder()
    builder.add_mode_record(tmp_path / "external/pkgs" / modes.RECORD_NAME)
    builder.add_tree("", tmp_path / "external/pkgs/usr")
    entries = {e.path: e.mode for e in builder.entries() if e.type == "file"}
    assert entries == {"bin/prog": 0o755, "lib/libp.so.1": 0o644, "lib/python3/cgi.py": 0o644,
                       "sbin/helper": 0o4755}


def test_mode_record_that_misses_a_file_fails_naming_both(tmp_path):
    _inputs(tmp_path)
    (tmp_path / "external/pkgs/usr/bin/stray").write_bytes(b"x")
    builder = LayerBuilder()
    builder.add_mode_record(tmp_path / "external/pkgs" / modes.RECORD_NAME)
    with pytest.raises(UserError, match=r"stray.*deb_tree\.modes.*does not name it"):
        builder.add_file("stray", tmp_path / "external/pkgs/usr/bin/stray")


def test_declared_and_content_modes_of_one_file_merge_or_conflict(tmp_path):
    script = tmp_path / "s"
    script.write_bytes(b"#!/bin/sh\n")
    builder = LayerBuilder()
    builder.add_file("a", script)
    builder.add_file("a", script, mode=0o755)  # the same mode, once declared, once by content
    assert [(e.path, e.mode) for e in builder.entries()] == [("a", 0o755)]
    with pytest.raises(UserError, match="conflicting entries for 'a'"):
        builder.add_file("a", script, mode=0o644)


def test_hard_links_to_a_content_mode_file_share_its_mode(tmp_path):
    script = tmp_path / "s"
    script.write_bytes(b"#!/bin/sh\n")
    builder = LayerBuilder()
    builder.add_file("z", script)
    builder.add_hardlink("a", "z")
    data, _ = layer_bytes(builder)
    assert [(m.name, m.type, m.mode) for m in read_tar(data)] == [
        ("a", tarfile.REGTYPE, 0o755), ("z", tarfile.LNKTYPE, 0o755)]


def test_large_file_mode_by_content(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(_PROGRAM + bytes(600 << 10))  # above the one-read size
    os.chmod(big, 0o600)
    builder = LayerBuilder()
    builder.add_file("big", big)
    data, _ = layer_bytes(builder, compression="none")  # a pipe-like output: the chunked path
    assert [(m.name, m.mode, m.size) for m in read_tar(data)] == [("big", 0o755, big.stat().st_size)]
    out = tmp_path / "layer.tar"
    with open(out, "wb") as f:  # a regular file: the kernel-copy path
        builder.write(f, compression="none")
    assert out.read_bytes() == data
    assert stat.S_IMODE(big.stat().st_mode) == 0o600, "the input is never touched"
