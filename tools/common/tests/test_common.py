"""The shared helpers: atomic outputs never leave partial files; canonical JSON is canonical."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools.common import atomic, canonical_json, digest, files, json_file, units
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


_TOOL = """
from absl import flags
from tools.common.errors import UserError, run_cli

_COUNT = flags.DEFINE_integer("count", 1, "How many.")

def main(argv):
    if _COUNT.value == 0:
        raise UserError("input.json: field x is missing;\\n add it")
    if _COUNT.value < 0:
        raise OSError(28, "No space left on device", "out.bin")
    print("count", _COUNT.value, argv[1:])
    return 0

run_cli("tool", main, positional=POSITIONAL)
"""


def _tool(tmp_path, *args: str, positional: bool = False) -> subprocess.CompletedProcess:
    script = tmp_path / "tool.py"
    script.write_text(_TOOL.replace("POSITIONAL", str(positional)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env)


def test_run_cli_runs_main_with_the_parsed_flags(tmp_path):
    result = _tool(tmp_path, "--count=3")
    assert (result.returncode, result.stdout, result.stderr) == (0, "count 3 []\n", "")
    result = _tool(tmp_path, "--count=3", "a", "b", positional=True)
    assert (result.returncode, result.stdout) == (0, "count 3 ['a', 'b']\n")


@pytest.mark.parametrize("args, message", [
    (["--count=0"], "tool: error: input.json: field x is missing; add it\n"),
    (["--count=-1"], "tool: error: cannot read or write out.bin: No space left on device\n"),
    (["--count=many"], "tool: error: flag --count=many: invalid literal for int() with base 10: 'many' (see --help)\n"),
    (["--colour=red"], "tool: error: Unknown command line flag 'colour' (see --help)\n"),
    (["stray"], "tool: error: unexpected arguments 'stray'; every input is a --flag (see --help)\n"),
])
def test_run_cli_reports_bad_input_and_bad_flags_in_one_line(tmp_path, args, message):
    result = _tool(tmp_path, *args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)


def test_digest_pattern_is_strict(tmp_path):
    good = "sha256:" + "0a" * 32
    assert digest.check_digest(good, "x") == good
    for bad in ("sha256:" + "0A" * 32, "sha256:" + "0a" * 31, "sha512:" + "0a" * 32, good + "\n", 7, None):
        with pytest.raises(UserError, match="x: digest .* is not of the form sha256:<64 lowercase hex digits>"):
            digest.check_digest(bad, "x")
    assert digest.is_sha256_hex("0a" * 32)
    assert not digest.is_sha256_hex("0a" * 32 + "\n") and not digest.is_sha256_hex(None)
    blob = tmp_path / "blob"
    blob.write_bytes(b"x" * (3 << 20))
    assert digest.file_digest(blob) == digest.sha256_digest(b"x" * (3 << 20))
    assert digest.digest_hex(digest.file_digest(blob)) == digest.file_sha256_hex(blob)


@pytest.mark.parametrize("content, message", [
    (None, "spec {path} does not exist"),
    (b'{"password": "hunter2" oops}', "spec {path} is not valid JSON: Expecting ',' delimiter at line 1 column 24"),
    (b"\xff\xfe{}", "spec {path} is not UTF-8 text"),
])
def test_load_json_fails_in_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "spec.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as info:
        json_file.load_json(str(path), "spec")
    assert str(info.value) == message.format(path=path)
    assert "hunter2" not in str(info.value)
    with pytest.raises(UserError, match="is a directory"):
        json_file.load_json(str(tmp_path), "spec")
    path.write_bytes(b'{"a": [1, 2]}')
    assert json_file.load_json(str(path), "spec") == {"a": [1, 2]}


def test_read_bytes_names_the_file_and_its_role_in_one_line(tmp_path):
    key = tmp_path / "key.pem"
    key.write_bytes(b"\x00pem")
    assert files.read_bytes(str(key), "signing key") == b"\x00pem"
    with pytest.raises(UserError, match=r"^cannot read the signing key .*/absent\.pem: No such file or directory$"):
        files.read_bytes(str(tmp_path / "absent.pem"), "signing key")

    class OwnError(Exception):
        pass

    with pytest.raises(OwnError, match=r"^cannot read the SBOM .*: Is a directory$"):
        files.read_bytes(str(tmp_path), "SBOM", OwnError)


def test_sizes_and_durations_read_the_same_everywhere():
    assert [units.human_size(n) for n in (0, 1023, 1024, 1536, 17 << 20, (2 << 30) + (1 << 29), 3 << 40)] == [
        "0 B", "1023 B", "1 KiB", "1.5 KiB", "17 MiB", "2.5 GiB", "3 TiB"]
    assert [units.human_duration(s) for s in (0.04, 12.34, 59.96, 60, 187.9)] == [
        "0.0s", "12.3s", "1m00s", "1m00s", "3m07s"]
    # The shell scripts' helper prints the same format at whole seconds.
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts", "format.sh")
    out = subprocess.run(["bash", "-c", f'. "{script}"; human_duration 12; echo; human_duration 187'],
                         capture_output=True, text=True, check=True).stdout
    assert out == "12s\n3m07s"


def test_check_replaceable_refuses_what_a_rename_would_destroy(tmp_path):
    regular = tmp_path / "out.json"
    atomic.check_replaceable(regular)  # absent: fine
    regular.write_text("old")
    atomic.check_replaceable(regular)  # a regular file: fine
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(regular)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (fifo, link, dangling, tmp_path, "/dev/null"):
        with pytest.raises(UserError, match=r"exists and is not a regular file; refusing to replace it"):
            atomic.check_replaceable(path)
    with pytest.raises(UserError, match=r"output directory .*missing.* does not exist"):
        atomic.check_replaceable(tmp_path / "missing" / "out.json")
    # The atomic writers check before they create anything.
    with pytest.raises(UserError):
        with atomic.atomic_binary_output(link):
            raise AssertionError("not reached")
    assert os.path.islink(link) and regular.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["dangling", "fifo", "link", "out.json"]


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
