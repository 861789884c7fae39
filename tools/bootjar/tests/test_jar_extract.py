"""jar_extract: an entry's exact bytes, streamed; clear one-line errors; nothing left on failure."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import pytest

from tools.bootjar import jars
from tools.bootjar.tests.jarfixtures import REPO_ROOT


def _jar(path, entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> str:
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT)] + [p for p in sys.path if p]))
    return subprocess.run([sys.executable, "-m", "tools.bootjar.jar_extract", *args], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_entries_come_out_byte_for_byte(tmp_path, method):
    big = os.urandom(1 << 20) * 3 + bytes(5 << 20)  # incompressible, then very compressible
    jar = _jar(tmp_path / "native.jar", {"org/x/native/linux-x86_64/libx.so": big, "org/x/other.txt": b"x"}, method)
    result = _run("--jar", jar, "--entry", f"org/x/native/linux-x86_64/libx.so={tmp_path / 'libx.so'}",
                  "--entry", f"org/x/other.txt={tmp_path / 'other'}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "libx.so").read_bytes() == big
    assert (tmp_path / "other").read_bytes() == b"x"


def test_streaming_keeps_memory_to_the_chunk(tmp_path):
    data = bytes(32 << 20)  # 32 MiB of zeros deflate to a few tens of KiB
    jar = _jar(tmp_path / "zeros.jar", {"zeros": data})
    with open(jar, "rb") as f:
        member = jars.read_central_directory(f, os.path.getsize(jar))[0]
        writes = []

        class Sink(io.RawIOBase):
            def write(self, b):
                writes.append(len(b))
                return len(b)

        jars.copy_member(f, member, Sink(), chunk=1 << 16)
    assert sum(writes) == len(data) and max(writes) <= 1 << 16


@pytest.mark.parametrize("args, message", [
    (["--entry", "a=b"], "jar_extract: error: --jar and at least one --entry are required\n"),
    (["--jar", "{jar}", "--entry", "nope"], "jar_extract: error: --entry 'nope': expected ENTRY=OUTPUT\n"),
    (["--jar", "{jar}", "--entry", "lib/libx.so={out}"],
     "jar_extract: error: jar {jar} has no entry 'lib/libx.so'; it holds 'org/x/libx.so'\n"),
    (["--jar", "{tmp}/missing.jar", "--entry", "a={out}"], "jar_extract: error: jar {tmp}/missing.jar does not exist\n"),
])
def test_bad_input_is_one_line_and_leaves_nothing(tmp_path, args, message):
    jar = _jar(tmp_path / "a.jar", {"org/x/libx.so": b"\x7fELF"})
    out = tmp_path / "out.so"
    fill = dict(jar=jar, out=out, tmp=tmp_path)
    result = _run(*[a.format(**fill) for a in args])
    assert (result.returncode, result.stderr) == (1, message.format(**fill))
    assert not out.exists()


def test_corrupt_entry_is_refused_and_leaves_nothing(tmp_path):
    jar = tmp_path / "bad.jar"
    _jar(jar, {"libx.so": b"A" * 4096}, zipfile.ZIP_STORED)
    data = bytearray(jar.read_bytes())
    data[data.index(b"A" * 16) + 100] = ord("B")  # one byte of the entry: its CRC-32 no longer matches
    jar.write_bytes(bytes(data))
    result = _run("--jar", str(jar), "--entry", f"libx.so={tmp_path / 'out'}")
    assert result.returncode == 1
    assert "its size or CRC-32 does not match the central directory" in result.stderr
    assert not (tmp_path / "out").exists()
