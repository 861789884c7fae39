"""End-to-end tests of the layer_writer CLI: outputs, flags, environment, and clean failures."""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile

import pytest

from tools.common import canonical_json
from tools.layer.tests.helpers import REPO_ROOT, gunzip, read_tar, run_cli


def _tar_xz(path, members) -> str:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.mode = 0o4755 if name.endswith("su") else 0o644
            info.uid, info.uname, info.mtime = 1000, "someone", 1_234_567_890
            if kind == tarfile.LNKTYPE:
                info.linkname = data.decode()
                archive.addfile(info)
            elif kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                info.devmajor, info.devminor = 1, 3
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(lzma.compress(raw.getvalue()))
    return str(path)


@pytest.fixture
def workspace(tmp_path):
    """A working directory with inputs; spec "src" paths are relative to it."""
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "data.txt").write_bytes(b"tree data")
    os.symlink("sub/data.txt", tmp_path / "tree" / "link")
    (tmp_path / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(tmp_path / "tool", 0o700)
    _tar_xz(tmp_path / "data.tar.xz", [("./usr/bin/su", tarfile.REGTYPE, b"su"),
                                       ("./usr/bin/su-link", tarfile.LNKTYPE, b"./usr/bin/su")])
    (tmp_path / "out").mkdir()
    return tmp_path


SPEC = {
    "entries": [
        {"path": "app/bin/tool", "type": "file", "src": "tool", "mode": "0755"},
        {"path": "app/data", "type": "dir"},
        {"path": "usr/bin/python3", "type": "symlink", "target": "python3.11"},
        {"path": "app/bin/alias", "type": "hardlink", "target": "app/bin/tool"},
        {"path": "opt/tree", "type": "tree", "src": "tree"},
        {"path": "", "type": "tar", "src": "data.tar.xz"},
    ],
    "uname": "",
    "gname": "",
}


def _run(workspace, spec, *flags, env=None, name="layer"):
    (workspace / "spec.json").write_text(json.dumps(spec))
    outputs = {
        "output": workspace / "out" / f"{name}.blob",
        "descriptor": workspace / "out" / f"{name}.json",
        "listing": workspace / "out" / f"{name}.txt",
    }
    args = ["--spec", "spec.json"] + [f"--{key}={path}" for key, path in outputs.items()] + list(flags)
    return run_cli(args, cwd=str(workspace), env=env), outputs


def test_writes_layer_descriptor_and_listing(workspace):
    result, outputs = _run(workspace, SPEC)
    assert result.returncode == 0, result.stderr
    blob = outputs["output"].read_bytes()
    descriptor_bytes = outputs["descriptor"].read_bytes()
    descriptor = json.loads(descriptor_bytes)
    assert descriptor_bytes == canonical_json.dumps(descriptor)
    tar = gunzip(blob)
    assert descriptor == {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
        "size": len(blob),
        "diffID": "sha256:" + hashlib.sha256(tar).hexdigest(),
    }
    listing = outputs["listing"].read_text().splitlines()
    paths = [line.split(" ")[4] for line in listing]
    assert paths == sorted(paths, key=lambda p: p.rstrip("/").encode())
    assert [m.name for m in read_tar(tar)] == [p.rstrip("/") for p in paths]
    tool_sha = hashlib.sha256(b"#!/bin/sh\n").hexdigest()
    assert f"0755 file 10 {tool_sha} app/bin/alias" in listing  # first path of the hard-link group
    assert "0755 hardlink 0 app/bin/alias app/bin/tool" in listing
    assert "0777 symlink 0 python3.11 usr/bin/python3" in listing
    assert "0777 symlink 0 sub/data.txt opt/tree/link" in listing
    assert f"4755 file 2 {hashlib.sha256(b'su').hexdigest()} usr/bin/su" in listing
    assert "4755 hardlink 0 usr/bin/su usr/bin/su-link" in listing
    assert "0755 dir 0 - app/data/" in listing
    assert sorted(os.listdir(workspace / "out")) == ["layer.blob", "layer.json", "layer.txt"]


@pytest.mark.parametrize("compression, media_type", [
    ("none", "application/vnd.oci.image.layer.v1.tar"),
    ("zstd", "application/vnd.oci.image.layer.v1.tar+zstd"),
])
def test_other_compressions(workspace, compression, media_type):
    result, outputs = _run(workspace, SPEC, f"--compression={compression}", "--threads=2")
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs["descriptor"].read_text())["mediaType"] == media_type


def test_mtime_from_source_date_epoch_unless_flag_given(workspace):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    result, outputs = _run(workspace, SPEC, "--compression=none", env=env, name="epoch")
    assert result.returncode == 0, result.stderr
    assert {m.mtime for m in read_tar(outputs["output"].read_bytes())} == {1700000000}
    result, outputs = _run(workspace, SPEC, "--compression=none", "--mtime=42", env=env, name="flag")
    assert result.returncode == 0, result.stderr
    assert {m.mtime for m in read_tar(outputs["output"].read_bytes())} == {42}
    env.pop("SOURCE_DATE_EPOCH")
    result, outputs = _run(workspace, SPEC, "--compression=none", env=env, name="zero")
    assert {m.mtime for m in read_tar(outputs["output"].read_bytes())} == {0}


def test_same_bytes_under_other_time_zone_locale_and_umask(workspace):
    first, outputs = _run(workspace, SPEC, env=dict(os.environ, TZ="UTC", LC_ALL="C"), name="a")
    assert first.returncode == 0, first.stderr
    env = dict(os.environ, TZ="Pacific/Chatham", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    old_umask = os.umask(0o077)  # inherited by the child
    try:
        second, other = _run(workspace, SPEC, "--threads=1", env=env, name="b")
    finally:
        os.umask(old_umask)
    assert second.returncode == 0, second.stderr
    assert other["output"].read_bytes() == outputs["output"].read_bytes()
    assert other["descriptor"].read_bytes() == outputs["descriptor"].read_bytes()


def _with_entry(**entry):
    return {"entries": SPEC["entries"] + [entry]}


def _device_tar(workspace):
    _tar_xz(workspace / "dev.tar.xz", [("./dev/console", tarfile.CHRTYPE, b"")])
    return _with_entry(path="", type="tar", src="dev.tar.xz")


REJECTIONS = {
    "absolute path": (lambda w: _with_entry(path="/etc/passwd", type="file", src="tool"), "'/etc/passwd' is absolute"),
    "dotdot path": (lambda w: _with_entry(path="a/../../x", type="dir"), "'a/../../x' contains a '..'"),
    "conflict": (lambda w: _with_entry(path="app/bin/tool", type="file", src="tree/sub/data.txt"),
                 "conflicting entries for 'app/bin/tool'"),
    "missing input": (lambda w: _with_entry(path="x", type="file", src="no/such/file"),
                      "cannot read input file 'no/such/file'"),
    "directory as file": (lambda w: _with_entry(path="x", type="file", src="tree"), "'tree' (for 'x') is a directory"),
    "device in tar": (_device_tar, "dev.tar.xz' member './dev/console' is a device node"),
    "dangling hardlink": (lambda w: _with_entry(path="x", type="hardlink", target="nowhere"),
                          "points at 'nowhere', which is not in the layer"),
    "bad mode": (lambda w: _with_entry(path="x", type="dir", mode="rwx"), "entries[6].mode"),
    "unknown type": (lambda w: _with_entry(path="x", type="fifo"), "entries[6].type"),
    "missing field": (lambda w: _with_entry(path="x", type="tree"), "entries[6].src: missing"),
    "unknown field": (lambda w: _with_entry(path="x", type="dir", owner="root"), "entries[6].owner"),
    "not json": (lambda w: "{not json", "not valid UTF-8 JSON"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_rejections_are_one_line_and_leave_no_output(workspace, case):
    make_spec, fragment = REJECTIONS[case]
    spec = make_spec(workspace)
    if isinstance(spec, str):
        (workspace / "raw.json").write_text(spec)
        spec_text = spec
    else:
        spec_text = json.dumps(spec)
    (workspace / "spec.json").write_text(spec_text)
    outputs = [workspace / "out" / name for name in ("layer.tgz", "layer.json", "layer.txt")]
    result = run_cli(["--spec=spec.json", f"--output={outputs[0]}", f"--descriptor={outputs[1]}",
                      f"--listing={outputs[2]}"], cwd=str(workspace))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("layer_writer: error: "), result.stderr
    assert fragment in lines[0]
    assert "spec.json" in lines[0]
    assert os.listdir(workspace / "out") == [], "no output and no temporary file may remain"


def test_bad_source_date_epoch_and_refusal_to_replace_special_files(workspace):
    env = dict(os.environ, SOURCE_DATE_EPOCH="yesterday")
    result, _ = _run(workspace, SPEC, env=env)
    assert result.returncode == 1 and "SOURCE_DATE_EPOCH='yesterday'" in result.stderr
    os.symlink("/dev/null", workspace / "out" / "link")
    result = run_cli(["--spec=spec.json", f"--output={workspace / 'out' / 'link'}"], cwd=str(workspace))
    assert result.returncode == 1 and "not a regular file" in result.stderr
    assert os.readlink(workspace / "out" / "link") == "/dev/null"


def test_unreadable_input_as_unprivileged_user(tmp_path_factory):
    """Root reads anything, so a forked child drops to nobody before touching a chmod-000 file."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user")
    import tempfile

    from tools.common.errors import UserError
    from tools.layer.builder import LayerBuilder

    directory = tempfile.mkdtemp()
    try:
        os.chmod(directory, 0o755)
        secret = os.path.join(directory, "secret")
        with open(secret, "wb") as f:
            f.write(b"x")
        os.chmod(secret, 0)
        os.mkdir(os.path.join(directory, "tree"))
        os.link(secret, os.path.join(directory, "tree", "secret"))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns into pytest
            try:
                os.close(read_end)
                try:
                    os.setgid(65534)
                    os.setuid(65534)
                except OSError as e:
                    os.write(write_end, f"SKIP cannot switch to uid 65534: {e}".encode())
                    raise
                messages = []
                for add in (lambda b: b.add_file("s", secret), lambda b: b.add_tree("t", os.path.join(directory, "tree"))):
                    try:
                        add(LayerBuilder())
                        messages.append("no error")
                    except UserError as e:
                        messages.append(str(e))
                os.write(write_end, "\n".join(messages).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            messages = pipe.read().decode().splitlines()
        os.waitpid(pid, 0)
        if messages and messages[0].startswith("SKIP "):
            pytest.skip(messages[0][5:])
        assert messages == [
            f"cannot read input file {secret!r} (for 's'): permission denied",
            f"cannot read input file {os.path.join(directory, 'tree', 'secret')!r}: permission denied",
        ]
    finally:
        import shutil

        shutil.rmtree(directory)


# Runs a command with DIR as a fresh 256 KiB tmpfs (in a mount namespace of its own), then lists
# what is left in DIR: the tmpfs is gone once the namespace ends.
_ON_SMALL_TMPFS = 'dir=$1; shift; mount -t tmpfs -o size=256k tmpfs "$dir" || exit 99; "$@"; s=$?; ' \
                  'echo "left in $dir: $(ls -A "$dir")"; exit $s'


@pytest.mark.parametrize("compression", ["gzip", "none"])
def test_a_full_file_system_is_one_line_and_leaves_no_output(workspace, compression):
    """The layer (1 MiB of incompressible data) does not fit: one line naming the output, nothing left."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    (workspace / "big.bin").write_bytes(hashlib.shake_256(b"big").digest(1 << 20))
    spec = {"entries": SPEC["entries"] + [{"path": "big.bin", "type": "file", "src": "big.bin"}]}
    (workspace / "spec.json").write_text(json.dumps(spec))
    small = workspace / "small"
    small.mkdir()
    args = ["--spec=spec.json", f"--output={small}/layer.blob", f"--descriptor={small}/layer.json",
            f"--listing={small}/layer.txt", f"--compression={compression}"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO_ROOT] + [p for p in sys.path if p]))
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", _ON_SMALL_TMPFS, "sh",
                             str(small), sys.executable, "-m", "tools.layer.layer_writer", *args],
                            cwd=str(workspace), env=env, capture_output=True, text=True)
    if result.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == (f"layer_writer: error: cannot write {small}/layer.blob: no space left on its file "
                        "system (No space left on device); free some space there or write it elsewhere")
    assert result.stdout == f"left in {small}: \n"  # no layer, no listing, no temporary file
