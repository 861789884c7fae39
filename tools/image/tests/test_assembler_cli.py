"""The image_assembler command line: flags, --config_spec, determinism, and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tools.common.digest import sha256_digest
from tools.image.tests.fixtures import (
    ASSEMBLER, Entry, build_image, run_tool, write_blob, write_layer, write_layout_by_hand)


def make_inputs(root: Path) -> tuple[Path, list]:
    """Deterministic fixtures: a base layout and two layers of our own, all under `root`."""
    base = root / "base"
    build_image(base, [write_layer(root / "in", "base", [Entry("etc", type="dir"), Entry("etc/motd", b"hi\n")])],
                env=["PATH=/bin", "LANG=C"], labels={"from": "base"})
    layers = [
        write_layer(root / "in", "one", [Entry("app", type="dir"), Entry("app/run", b"run\n", mode=0o755)]),
        write_layer(root / "in", "two", [Entry("app/data", b"\x00\x01" * 1000)], compression="none"),
    ]
    return base, layers


def full_args(base: Path, layers: list, out: Path, digest: Path) -> list[str]:
    args = [f"--base={base}"]
    args += [f"--layer={l.blob}={l.descriptor}" for l in layers]
    return args + [
        '--entrypoint=["/app/run"]', '--cmd=["--port","8080"]', "--env=LANG=C.UTF-8", "--env=APP=1",
        "--label=org.example.version=1.0", "--annotation=org.example.note=hi", "--user=65532",
        "--workdir=/app", "--exposed_port=8080", "--exposed_port=53/udp", "--tag=app",
        f"--output={out}", f"--digest={digest}",
    ]


def blob_bytes(layout: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((layout / "blobs" / "sha256").iterdir())}


def test_cli_outputs_are_identical_across_machines_settings(tmp_path):
    runs = []
    for i, (tz, lc_all, umask) in enumerate([("UTC", "C", 0o022), ("Pacific/Kiritimati", "C.UTF-8", 0o077)]):
        root = tmp_path / f"run{i}" / "somewhere" / ("deeper" * i)
        base, layers = make_inputs(root)
        out, digest = root / "out" / "image", root / "out" / "image.digest"
        env = {**os.environ, "TZ": tz, "LC_ALL": lc_all, "USER": f"user{i}", "HOSTNAME": f"host{i}"}
        # Second run uses paths relative to a different working directory.
        args = full_args(base, layers, out, digest)
        if i == 1:
            args = [a.replace(str(root) + "/", "") for a in args]
        result = run_tool(ASSEMBLER, args, cwd=root if i == 1 else None, env=env, umask=umask)
        assert result.returncode == 0, result.stderr
        runs.append((out, digest.read_text()))
    (out_a, digest_a), (out_b, digest_b) = runs
    assert digest_a == digest_b
    assert blob_bytes(out_a) == blob_bytes(out_b)
    for name in ("index.json", "oci-layout"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
        assert (out_b / name).stat().st_mode & 0o777 == 0o644  # despite umask 077
    assert (out_b / "blobs" / "sha256").stat().st_mode & 0o777 == 0o755
    config_and_manifest = b"".join(blob_bytes(out_a).values())
    for leak in (b"user0", b"user1", b"host0", b"host1", str(tmp_path).encode(), b"run0", b"run1"):
        assert leak not in config_and_manifest


def test_config_spec_file_gives_the_same_image_as_flags(tmp_path):
    base, layers = make_inputs(tmp_path)
    by_flags = tmp_path / "flags.digest"
    result = run_tool(ASSEMBLER, full_args(base, layers, tmp_path / "a", by_flags))
    assert result.returncode == 0, result.stderr
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "base": str(base),
        "layers": [{"blob": l.blob, "descriptor": l.descriptor} for l in layers],
        "entrypoint": ["/app/run"], "cmd": ["--port", "8080"], "env": ["LANG=C.UTF-8", "APP=1"],
        "labels": {"org.example.version": "1.0"}, "annotations": {"org.example.note": "hi"},
        "user": "65532", "workdir": "/app", "exposed_ports": ["8080/tcp", "53/udp"], "tag": "app",
    }))
    by_spec = tmp_path / "spec.digest"
    config_out, manifest_out = tmp_path / "config.json", tmp_path / "manifest.json"
    result = run_tool(ASSEMBLER, [f"--config_spec={spec}", f"--output={tmp_path / 'b'}", f"--digest={by_spec}",
                                  f"--config_output={config_out}", f"--manifest_output={manifest_out}"])
    assert result.returncode == 0, result.stderr
    assert by_spec.read_text() == by_flags.read_text()
    assert sha256_digest(manifest_out.read_bytes()) == by_spec.read_text()
    config = json.loads(config_out.read_bytes())
    assert config["config"]["Env"] == ["PATH=/bin", "LANG=C.UTF-8", "APP=1"]
    assert config["config"]["Labels"] == {"from": "base", "org.example.version": "1.0"}


def test_flags_override_and_extend_the_spec(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"env": ["A=1"], "user": "root", "labels": {"x": "1"}}))
    config_out = tmp_path / "config.json"
    result = run_tool(ASSEMBLER, [f"--config_spec={spec}", "--env=B=2", "--user=nobody", "--label=y=2",
                                  f"--output={tmp_path / 'o'}", f"--config_output={config_out}"])
    assert result.returncode == 0, result.stderr
    run = json.loads(config_out.read_bytes())["config"]
    assert run == {"Env": ["A=1", "B=2"], "User": "nobody", "Labels": {"x": "1", "y": "2"}}


def test_created_flag(tmp_path):
    config_out = tmp_path / "config.json"
    result = run_tool(ASSEMBLER, ["--created=2024-05-01T00:00:00Z", f"--output={tmp_path / 'o'}",
                                  f"--config_output={config_out}"])
    assert result.returncode == 0, result.stderr
    assert json.loads(config_out.read_bytes())["created"] == "2024-05-01T00:00:00Z"


def _bad_descriptor(tmp: Path, mutate=None, text: str | None = None) -> str:
    """Writes a layer whose descriptor is changed by `mutate` or replaced by `text`."""
    layer = write_layer(tmp / "in", "l", [Entry("f", b"data")])
    desc = json.loads(Path(layer.descriptor).read_text())
    if mutate is not None:
        mutate(desc)
    Path(layer.descriptor).write_text(json.dumps(desc) if text is None else text)
    return f"--layer={layer.blob}={layer.descriptor}"


def _case_missing_blob(tmp: Path):
    layer = write_layer(tmp / "in", "l", [Entry("f", b"data")])
    os.unlink(layer.blob)
    return [f"--layer={layer.blob}={layer.descriptor}"], layer.blob


def _case_size_mismatch(tmp: Path):
    return [_bad_descriptor(tmp, lambda d: d.update(size=d["size"] + 1))], str(tmp / "in" / "l.json")


def _case_malformed_descriptor(tmp: Path):
    return [_bad_descriptor(tmp, text='{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",')], \
        str(tmp / "in" / "l.json")


def _case_descriptor_without_diff_id(tmp: Path):
    return [_bad_descriptor(tmp, lambda d: d.pop("diffID"))], str(tmp / "in" / "l.json")


def _case_descriptor_bad_media_type(tmp: Path):
    return [_bad_descriptor(tmp, lambda d: d.update(mediaType="application/json"))], str(tmp / "in" / "l.json")


def _case_unsupported_base_manifest(tmp: Path):
    base = tmp / "base"
    write_layout_by_hand(base, [], [], manifest_media_type="application/vnd.docker.distribution.manifest.v1+prettyjws")
    return [f"--base={base}"], str(base / "index.json")


def _case_unsupported_base_layer(tmp: Path):
    base = tmp / "base"
    blob = write_blob(base, b"foreign")
    desc = write_layout_by_hand(base, [("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                                        blob["digest"], blob["size"])], ["sha256:" + "3" * 64])
    return [f"--base={base}"], str(base / "blobs" / "sha256" / desc["digest"].split(":")[1])


def _case_architecture_mismatch(tmp: Path):
    base = tmp / "base"
    build_image(base, architecture="arm64")
    config = json.loads((base / "blobs" / "sha256" / json.loads((base / "index.json").read_text())
                         ["manifests"][0]["digest"].split(":")[1]).read_text())["config"]["digest"]
    return [f"--base={base}"], str(base / "blobs" / "sha256" / config.split(":")[1])


def _case_base_not_a_layout(tmp: Path):
    base = tmp / "base"
    base.mkdir()
    return [f"--base={base}"], str(base / "oci-layout")


def _case_base_blob_size_mismatch(tmp: Path):
    base = tmp / "base"
    build_image(base, [write_layer(tmp / "in", "l", [Entry("f", b"data")])])
    blob = Path(write_layer(tmp / "in", "l", [Entry("f", b"data")]).blob)
    target = base / "blobs" / "sha256" / sha256_digest(blob.read_bytes()).split(":")[1]
    target.unlink()
    target.write_bytes(blob.read_bytes() + b"junk")
    return [f"--base={base}"], str(target)


def _case_bad_entrypoint(tmp: Path):
    return ["--entrypoint=/app/run"], "--entrypoint"


def _case_bad_spec(tmp: Path):
    spec = tmp / "spec.json"
    spec.write_text('{"layers": 3}')
    return [f"--config_spec={spec}"], str(spec)


@pytest.mark.parametrize("case", [
    _case_missing_blob, _case_size_mismatch, _case_malformed_descriptor, _case_descriptor_without_diff_id,
    _case_descriptor_bad_media_type, _case_unsupported_base_manifest, _case_unsupported_base_layer,
    _case_architecture_mismatch, _case_base_not_a_layout, _case_base_blob_size_mismatch, _case_bad_entrypoint,
    _case_bad_spec,
], ids=lambda f: f.__name__.removeprefix("_case_"))
def test_bad_input_gives_one_line_error_and_no_output(tmp_path, case):
    args, named = case(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run_tool(ASSEMBLER, args + [f"--output={out_dir / 'image'}", f"--digest={out_dir / 'image.digest'}"])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("image_assembler: error: ")
    assert named in lines[0]
    assert list(out_dir.iterdir()) == []  # no layout, no digest, no temporary directory
    assert result.stdout == ""


def test_architecture_mismatch_message_says_both_platforms(tmp_path):
    args, _ = _case_architecture_mismatch(tmp_path)
    result = run_tool(ASSEMBLER, args + [f"--output={tmp_path / 'o'}"])
    assert "is for linux/arm64 but the image is linux/amd64" in result.stderr


def test_missing_output_flag_and_stray_arguments(tmp_path):
    result = run_tool(ASSEMBLER, [])
    assert result.returncode == 1 and "--output DIR is required" in result.stderr
    result = run_tool(ASSEMBLER, [f"--output={tmp_path / 'o'}", "stray"])
    assert result.returncode == 1 and "unexpected arguments 'stray'" in result.stderr


def test_failed_run_keeps_a_previous_output(tmp_path):
    out = tmp_path / "image"
    assert run_tool(ASSEMBLER, [f"--output={out}"]).returncode == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert run_tool(ASSEMBLER, [f"--output={out}", "--exposed_port=99999"]).returncode == 1
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    shutil.rmtree(out)


def test_unwritable_side_output_leaves_nothing(tmp_path):
    out = tmp_path / "image"
    (tmp_path / "a-file").write_text("")
    result = run_tool(ASSEMBLER, [f"--output={out}", f"--digest={tmp_path / 'a-file' / 'd'}"])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "a-file/d" in result.stderr and not out.exists()


def test_side_output_failing_after_the_layout_removes_the_layout(tmp_path):
    out = tmp_path / "image"
    (tmp_path / "digest-is-a-dir").mkdir()
    result = run_tool(ASSEMBLER, [f"--output={out}", f"--digest={tmp_path / 'digest-is-a-dir'}"])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "digest-is-a-dir" in result.stderr and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digest-is-a-dir"]
