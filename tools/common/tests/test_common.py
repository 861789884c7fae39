"""The shared helpers: atomic outputs never leave partial files; canonical JSON is canonical."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools.common import atomic, canonical_json
from tools.common.errors import UserError


def test_atomic_output_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_binary_output(target) as f:
            f.write(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]
    with atomic.atomic_binary_output(target) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_atomic_directory_output(tmp_path):
    target = tmp_path / "layout"
    with pytest.raises(UserError):
        with atomic.atomic_directory_output(target) as d:
            open(os.path.join(d, "x"), "w").close()
            raise UserError("bad input")
    assert os.listdir(tmp_path) == []
    with atomic.atomic_directory_output(target) as d:
        open(os.path.join(d, "x"), "w").close()
    assert os.listdir(target) == ["x"]


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json.dumps({"b": [1, {"d": 1, "c": "é"}], "a": None}) == '{"a":null,"b":[1,{"c":"é","d":1}]}'.encode()


def test_readable_json_is_sorted_indented_utf8_with_newline():
    value = {"b": [1, {"z": "ü", "a": None}], "a": 2}
    data = canonical_json.dumps_readable(value)
    assert data == b'{\n  "a": 2,\n  "b": [\n    1,\n    {\n      "a": null,\n      "z": "\xc3\xbc"\n    }\n  ]\n}\n'
    # The same data in another key order gives the same bytes.
    assert canonical_json.dumps_readable({"a": 2, "b": [1, {"a": None, "z": "ü"}]}) == data


def test_run_cli_prints_one_line_without_traceback(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text(
        "import sys\n"
        "from tools.common.errors import UserError, run_cli\n"
        "def main(argv):\n"
        "    raise UserError('input.json: field x is missing; add it')\n"
        "run_cli('tool', main, sys.argv[1:])\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr == "tool: error: input.json: field x is missing; add it\n"


def test_lock_files_round_trip_and_refuse_other_versions(tmp_path, monkeypatch):
    from tools.common import lock_files

    path = tmp_path / "x.lock.json"
    lock_files.write_lock(str(path), {"lock_version": 2, "b": [], "a": "é"})
    assert path.read_bytes() == canonical_json.dumps_readable({"lock_version": 2, "b": [], "a": "é"})
    assert lock_files.read_lock(str(path), 2) == {"lock_version": 2, "b": [], "a": "é"}
    with pytest.raises(UserError, match=r"unsupported lock_version 2; re-lock"):
        lock_files.read_lock(str(path), 1)
    manifest = tmp_path / "m.toml"
    manifest.write_text('a = 1\nzz = 2\n')
    with pytest.raises(UserError, match=r"m.toml: unknown key\(s\) zz; allowed: a, b"):
        lock_files.read_manifest(str(manifest), ("a", "b"), ())
    with pytest.raises(UserError, match=r"m.toml: missing required key 'b'"):
        lock_files.read_manifest(str(manifest), ("a", "b", "zz"), ("b",))
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    assert lock_files.workspace_path("m.toml") == str(manifest)
    assert lock_files.workspace_path("/abs") == "/abs"
