"""Assembles real images and checks them with skopeo and umoci, the tools users will run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tools.common import oci
from tools.common.errors import UserError
from tools.image import assembler, blobs
from tools.image.spec import EPOCH, ImageSpec
from tools.image.tests.fixtures import (
    Entry, build_image, merge_into_index, sha256, write_blob, write_layer, write_layout_by_hand)


def skopeo_inspect(layout: Path, tag: str, raw_config: bool = False) -> dict:
    args = ["skopeo", "inspect"] + (["--config"] if raw_config else []) + [f"oci:{layout}:{tag}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def _can_chown_any_uid() -> bool:
    """Real root can; root of a sandbox's user namespace maps only itself (Bazel's linux-sandbox)."""
    if os.geteuid() != 0:
        return False
    with open("/proc/self/uid_map", encoding="ascii") as f:
        return any(int(line.split()[2]) > 1 for line in f if line.strip())


def umoci_unpack(layout: Path, tag: str, bundle: Path) -> Path:
    args = ["umoci", "unpack"] + ([] if _can_chown_any_uid() else ["--rootless"])
    subprocess.run(args + ["--image", f"{layout}:{tag}", str(bundle)], capture_output=True, text=True,
                   check=True, timeout=120)
    return bundle / "rootfs"


def base_layers(tmp: Path):
    return [
        write_layer(tmp / "in", "base0", [
            Entry("etc", type="dir"),
            Entry("etc/os-release", b"ID=fixture\n"),
            Entry("etc/motd", b"base motd\n"),
            Entry("bin", type="dir"),
            Entry("bin/tool", b"#!/bin/sh\necho tool\n", mode=0o755),
        ]),
    ]


def app_layers(tmp: Path):
    return [
        write_layer(tmp / "in", "app0", [
            Entry("app", type="dir"),
            Entry("app/run", b"#!/bin/sh\necho run\n", mode=0o755),
            Entry("app/current", type="symlink", linkname="run"),
        ], compression="none"),
        write_layer(tmp / "in", "app1", [
            Entry("etc", type="dir"),
            Entry("etc/motd", b"app motd\n"),
            Entry("app", type="dir"),
            Entry("app/data.txt", b"hello data\n", mode=0o600, uid=1000, gid=1000),
        ]),
    ]


def test_image_without_base_is_read_by_skopeo_and_umoci(tmp_path):
    out = tmp_path / "image"
    digest_file = tmp_path / "image.digest"
    spec = ImageSpec(layers=app_layers(tmp_path), entrypoint=["/app/run"], cmd=["--serve"],
                     env=["A=1", "B=two words"], labels={"org.example.team": "infra"},
                     annotations={"org.opencontainers.image.source": "https://example.invalid/repo"},
                     exposed_ports=["8080"], user="65532", workdir="/app", tag="v1")
    spec.validate("test")
    result = assembler.assemble(spec, str(out), digest_file=str(digest_file))

    digest = digest_file.read_text()
    assert digest == result.manifest_digest and not digest.endswith("\n")
    inspected = skopeo_inspect(out, "v1")
    assert inspected["Digest"] == digest
    assert inspected["Env"] == ["A=1", "B=two words"]
    assert inspected["Labels"] == {"org.example.team": "infra"}
    assert inspected["Created"].startswith("1970-01-01T00:00:00")
    config = skopeo_inspect(out, "v1", raw_config=True)
    assert config["config"]["Entrypoint"] == ["/app/run"]
    assert config["config"]["Cmd"] == ["--serve"]
    assert config["config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert config["config"]["User"] == "65532" and config["config"]["WorkingDir"] == "/app"
    manifest = json.loads((out / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())
    assert manifest["annotations"] == {"org.opencontainers.image.source": "https://example.invalid/repo"}
    assert [l["mediaType"] for l in manifest["layers"]] == [oci.LAYER_TAR, oci.LAYER_TAR_GZIP]

    rootfs = umoci_unpack(out, "v1", tmp_path / "bundle")
    assert (rootfs / "app" / "run").read_bytes() == b"#!/bin/sh\necho run\n"
    assert os.readlink(rootfs / "app" / "current") == "run"
    assert (rootfs / "app" / "data.txt").read_bytes() == b"hello data\n"
    assert (rootfs / "etc" / "motd").read_bytes() == b"app motd\n"


def test_layout_files_are_canonical_and_complete(tmp_path):
    out = tmp_path / "image"
    layers = app_layers(tmp_path)
    result = assembler.assemble(ImageSpec(layers=layers), str(out))
    assert (out / "oci-layout").read_bytes() == b'{"imageLayoutVersion":"1.0.0"}'
    index_bytes = (out / "index.json").read_bytes()
    index = json.loads(index_bytes)
    assert index_bytes == json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    assert index["manifests"][0]["annotations"] == {oci.REF_NAME_ANNOTATION: "latest"}
    names = sorted(p.name for p in (out / "blobs" / "sha256").iterdir())
    layer_digests = [json.loads(Path(l.descriptor).read_text())["digest"] for l in layers]
    assert names == sorted(d.split(":")[1] for d in [result.manifest_digest, result.config_digest, *layer_digests])
    for name in names:  # every blob's name is its content's digest
        assert sha256((out / "blobs" / "sha256" / name).read_bytes()) == "sha256:" + name
    for blob in (result.config_bytes, result.manifest_bytes):
        assert not blob.endswith(b"\n") and b": " not in blob
    assert result.config["history"] == [{"created": EPOCH, "created_by": "reproimage layer 0"},
                                        {"created": EPOCH, "created_by": "reproimage layer 1"}]


def test_image_on_a_base_merges_env_labels_and_layers(tmp_path):
    base = tmp_path / "base"
    build_image(base, base_layers(tmp_path), env=["PATH=/usr/bin:/bin", "LANG=C", "KEEP=1"],
                labels={"base.label": "kept", "shared": "base"}, cmd=["/bin/sh"], tag="base")
    out = tmp_path / "image"
    digest = build_image(out, app_layers(tmp_path), base=str(base), env=["LANG=C.UTF-8", "APP=1"],
                         labels={"shared": "app", "app.label": "new"}, tag="app")

    inspected = skopeo_inspect(out, "app")
    assert inspected["Digest"] == digest
    assert inspected["Env"] == ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "KEEP=1", "APP=1"]
    assert inspected["Labels"] == {"base.label": "kept", "shared": "app", "app.label": "new"}
    config = skopeo_inspect(out, "app", raw_config=True)
    assert config["config"]["Cmd"] == ["/bin/sh"]  # inherited
    assert len(config["rootfs"]["diff_ids"]) == 3 and len(config["history"]) == 3
    assert {h["created"] for h in config["history"]} == {EPOCH}
    rootfs = umoci_unpack(out, "app", tmp_path / "bundle")
    assert (rootfs / "etc" / "os-release").read_bytes() == b"ID=fixture\n"  # from the base
    assert (rootfs / "etc" / "motd").read_bytes() == b"app motd\n"  # overridden by our layer
    assert (rootfs / "bin" / "tool").stat().st_mode & 0o777 == 0o755
    assert (rootfs / "app" / "run").exists()


def test_base_created_times_are_replaced(tmp_path):
    layer = write_layer(tmp_path / "in", "l", [Entry("f", b"x")])
    base = tmp_path / "base"
    (base / "blobs" / "sha256").mkdir(parents=True)
    meta = json.loads(Path(layer.descriptor).read_text())
    shutil.copy(layer.blob, base / "blobs" / "sha256" / meta["digest"].split(":")[1])
    write_layout_by_hand(base, [(meta["mediaType"], meta["digest"], meta["size"])], [meta["diffID"]], config_extra={
        "created": "2021-03-04T05:06:07Z",
        "config": {"Hostname": "", "Env": None, "Cmd": ["sh"]},
        "history": [{"created": "2021-03-04T05:06:07Z", "created_by": "ADD rootfs"}],
    })
    config = assembler.plan(ImageSpec(base=str(base))).config
    assert config["created"] == EPOCH
    assert config["history"] == [{"created": EPOCH, "created_by": "ADD rootfs"}]
    assert config["config"] == {"Cmd": ["sh"]}


def test_docker_media_type_base_becomes_oci(tmp_path):
    layer = write_layer(tmp_path / "in", "l", [Entry("f", b"docker")])
    meta = json.loads(Path(layer.descriptor).read_text())
    base = tmp_path / "base"
    (base / "blobs" / "sha256").mkdir(parents=True)
    shutil.copy(layer.blob, base / "blobs" / "sha256" / meta["digest"].split(":")[1])
    write_layout_by_hand(base, [("application/vnd.docker.image.rootfs.diff.tar.gzip", meta["digest"], meta["size"])],
                         [meta["diffID"]], manifest_media_type=oci.DOCKER_MANIFEST,
                         config_media_type=oci.DOCKER_CONFIG)
    out = tmp_path / "image"
    digest = build_image(out, base=str(base))
    manifest = json.loads((out / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())
    assert manifest["layers"][0]["mediaType"] == oci.LAYER_TAR_GZIP
    assert skopeo_inspect(out, "latest")["Digest"] == digest
    assert (umoci_unpack(out, "latest", tmp_path / "bundle") / "f").read_bytes() == b"docker"


@pytest.mark.parametrize("nested", [True, False])
def test_base_that_is_a_multi_platform_index(tmp_path, nested):
    amd = tmp_path / "amd"
    arm = tmp_path / "arm"
    build_image(amd, [write_layer(tmp_path / "in", "amd", [Entry("arch", b"amd64\n")])], env=["ARCH=amd64"])
    build_image(arm, [write_layer(tmp_path / "in", "arm", [Entry("arch", b"arm64\n")])], env=["ARCH=arm64"],
                architecture="arm64")
    multi = tmp_path / "multi"
    merge_into_index(multi, [(arm, "linux/arm64"), (amd, "linux/amd64")], nested=nested)

    out = tmp_path / "image"
    build_image(out, base=str(multi))
    assert skopeo_inspect(out, "latest")["Env"] == ["ARCH=amd64"]
    assert (umoci_unpack(out, "latest", tmp_path / "b1") / "arch").read_bytes() == b"amd64\n"

    out_arm = tmp_path / "image-arm"
    build_image(out_arm, base=str(multi), architecture="arm64")
    assert assembler.plan(ImageSpec(base=str(multi), architecture="arm64")).config["config"]["Env"] == ["ARCH=arm64"]

    with pytest.raises(UserError, match=r"no manifest for linux/s390x \(it has: linux/arm64, linux/amd64\)"):
        assembler.plan(ImageSpec(base=str(multi), architecture="s390x"))


def test_base_and_own_blobs_are_hard_linked_not_copied(tmp_path):
    base = tmp_path / "base"
    build_image(base, base_layers(tmp_path))
    own = app_layers(tmp_path)
    # Bazel presents inputs as symlinks into its output tree: link the target, not the symlink.
    link = tmp_path / "in" / "symlinked.tar.gz"
    link.symlink_to(Path(own[1].blob).resolve())
    own[1] = type(own[1])(str(link), own[1].descriptor)
    out = tmp_path / "image"
    result = assembler.assemble(ImageSpec(base=str(base), layers=own), str(out))
    for layer in result.layers:
        placed = out / "blobs" / "sha256" / layer.descriptor.digest.split(":")[1]
        assert not placed.is_symlink()
        assert placed.stat().st_ino == os.stat(os.path.realpath(layer.source)).st_ino
    assert (out / "blobs" / "sha256" / sha256(Path(own[1].blob).read_bytes()).split(":")[1]).stat().st_ino == \
        Path(own[1].blob).resolve().stat().st_ino


def test_copy_fallback_when_linking_fails(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    layers = app_layers(tmp_path)
    out = tmp_path / "image"
    result = assembler.assemble(ImageSpec(layers=layers), str(out))
    for layer in result.layers:
        placed = out / "blobs" / "sha256" / layer.descriptor.digest.split(":")[1]
        assert placed.read_bytes() == Path(layer.source).read_bytes()
        assert placed.stat().st_ino != os.stat(layer.source).st_ino
    assert blobs.place_blob(layers[0].blob, str(tmp_path / "copied")) == "copy"


def _base_with_blob_of_size(root: Path, size: int) -> Path:
    """A base whose layer blob is `size` bytes; sparse, so a 1 GiB base costs no disk or time to make."""
    base = root / f"base-{size}"
    blob_dir = base / "blobs" / "sha256"
    blob_dir.mkdir(parents=True)
    fake_digest = sha256(str(size).encode())  # never hashed by the assembler, by design
    with open(blob_dir / fake_digest.split(":")[1], "wb") as f:
        f.truncate(size)
    write_layout_by_hand(base, [(oci.LAYER_TAR, fake_digest, size)], [fake_digest])
    return base


def test_assembly_time_does_not_grow_with_base_size(tmp_path):
    timings = {}
    for size in (1 << 10, 1 << 30):
        base = _base_with_blob_of_size(tmp_path, size)
        layers = app_layers(tmp_path / str(size))
        start = time.perf_counter()
        assembler.assemble(ImageSpec(base=str(base), layers=layers), str(tmp_path / f"out-{size}"))
        timings[size] = time.perf_counter() - start
    assert timings[1 << 30] < 2.0, timings
    assert timings[1 << 30] < timings[1 << 10] + 1.0, timings


def test_verify_digests_catches_a_lying_descriptor(tmp_path):
    base = _base_with_blob_of_size(tmp_path, 1024)  # its digest is made up
    assembler.plan(ImageSpec(base=str(base)))  # trusted by default: sizes match
    with pytest.raises(UserError, match="has digest sha256:.*not sha256:"):
        assembler.plan(ImageSpec(base=str(base)), verify_digests=True)


def test_same_layer_twice_is_stored_once(tmp_path):
    layer = app_layers(tmp_path)[0]
    out = tmp_path / "image"
    result = assembler.assemble(ImageSpec(layers=[layer, layer]), str(out))
    assert len(result.manifest["layers"]) == 2
    assert len(list((out / "blobs" / "sha256").iterdir())) == 3
    assert skopeo_inspect(out, "latest")["Digest"] == result.manifest_digest


def test_empty_image_is_valid(tmp_path):
    out = tmp_path / "image"
    digest = build_image(out)
    assert skopeo_inspect(out, "latest")["Digest"] == digest
    umoci_unpack(out, "latest", tmp_path / "bundle")


def test_existing_output_is_replaced_whole(tmp_path):
    out = tmp_path / "image"
    (out / "blobs" / "sha256").mkdir(parents=True)
    (out / "blobs" / "sha256" / ("0" * 64)).write_text("stale")
    build_image(out)
    assert not (out / "blobs" / "sha256" / ("0" * 64)).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_base_with_missing_blob_fails_before_writing(tmp_path):
    base = tmp_path / "base"
    build_image(base, base_layers(tmp_path))
    layer_digest = json.loads(Path(base_layers(tmp_path)[0].descriptor).read_text())["digest"]
    (base / "blobs" / "sha256" / layer_digest.split(":")[1]).unlink()
    out = tmp_path / "image"
    with pytest.raises(UserError, match=f"blob .*/{layer_digest[7:]} referenced by manifest .* is missing"):
        assembler.assemble(ImageSpec(base=str(base)), str(out))
    assert not out.exists()


def test_diff_id_count_mismatch_in_base(tmp_path):
    base = tmp_path / "base"
    blob = write_blob(base, b"x" * 10)
    write_layout_by_hand(base, [(oci.LAYER_TAR, blob["digest"], 10)], [])
    with pytest.raises(UserError, match="lists 0 diff_ids but manifest .* has 1 layers"):
        assembler.plan(ImageSpec(base=str(base)))


@pytest.mark.parametrize("copy_flags", [["--format", "v2s2"], ["--dest-compress-format", "zstd", "--dest-compress"]],
                         ids=["docker-v2s2", "zstd"])
def test_base_written_by_skopeo(tmp_path, copy_flags):
    original = tmp_path / "original"
    build_image(original, base_layers(tmp_path), env=["FROM=skopeo"], tag="v1")
    base = tmp_path / "base"
    subprocess.run(["skopeo", "copy", *copy_flags, f"oci:{original}:v1", f"oci:{base}:v1"],
                   capture_output=True, check=True, timeout=60)
    out = tmp_path / "image"
    result = assembler.assemble(ImageSpec(base=str(base), layers=app_layers(tmp_path)), str(out))
    inspected = skopeo_inspect(out, "latest")
    assert inspected["Digest"] == result.manifest_digest
    assert inspected["Env"] == ["FROM=skopeo"]
    assert len(inspected["Layers"]) == 3
    if "zstd" not in copy_flags:  # umoci 0.4 cannot unpack zstd layers
        rootfs = umoci_unpack(out, "latest", tmp_path / "bundle")
        assert (rootfs / "etc" / "os-release").read_bytes() == b"ID=fixture\n"
