"""The loadable tarball: docker-archive's manifest.json beside the OCI layout, the same bytes
whatever the machine's settings, read by skopeo as the layout's image (config digest and
diff_ids), and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile

from tools.common import oci
from tools.image.tests.fixtures import REPO_ROOT, Entry, build_image, run_tool, write_layer

TARBALL = REPO_ROOT / "tools" / "image" / "image_tarball.py"


def _image(root):
    layers = [write_layer(root / "in", "one", [Entry("app/run", b"#!/bin/sh\necho hi\n", mode=0o755)]),
              write_layer(root / "in", "two", [Entry("app/data", b"\x00" * 3000)], compression="none")]
    build_image(root / "image", layers, entrypoint=["/app/run"], labels={"k": "v"})
    return root / "image"


def test_same_bytes_whatever_the_settings(tmp_path):
    outputs = []
    for i, (tz, umask) in enumerate([("UTC", 0o022), ("Pacific/Kiritimati", 0o077)]):
        root = tmp_path / f"run{i}" / ("deeper/" * i)
        layout = _image(root)
        out = root / "image.tar"
        env = {**os.environ, "TZ": tz, "SOURCE_DATE_EPOCH": str(1700000000 * i)}
        result = run_tool(TARBALL, [f"--layout={layout}", "--repo_tag=app:latest", f"--output={out}"],
                          env=env, umask=umask)
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_docker_manifest_and_layout_inside(tmp_path):
    layout = _image(tmp_path)
    out = tmp_path / "image.tar"
    assert run_tool(TARBALL, [f"--layout={layout}", "--repo_tag=app:1.0", "--repo_tag=registry.example/a/app:1.0",
                              f"--output={out}"]).returncode == 0
    image = oci.resolve_image(oci.Layout.open(str(layout), "image"))
    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar}
        manifest = json.load(tar.extractfile("manifest.json"))
        index = json.load(tar.extractfile("index.json"))
        for m in members.values():
            assert (m.uid, m.gid, m.mtime, m.uname) == (0, 0, 0, "")
        for layer in image.layers:
            blob = tar.extractfile("blobs/sha256/" + layer.digest.split(":")[1]).read()
            with open(image.layout.blob_path(layer.digest), "rb") as f:
                assert blob == f.read()
    assert manifest == [{"Config": "blobs/sha256/" + image.config_descriptor.digest.split(":")[1],
                         "RepoTags": ["app:1.0", "registry.example/a/app:1.0"],
                         "Layers": ["blobs/sha256/" + l.digest.split(":")[1] for l in image.layers]}]
    assert index["manifests"][0]["digest"] == image.manifest_descriptor.digest
    assert index["manifests"][0]["annotations"][oci.REF_NAME_ANNOTATION] == "app:1.0"
    assert "oci-layout" in members


def test_skopeo_reads_it_as_the_layouts_image(tmp_path):
    layout = _image(tmp_path)
    out = tmp_path / "image.tar"
    assert run_tool(TARBALL, [f"--layout={layout}", "--repo_tag=app:latest", f"--output={out}"]).returncode == 0
    image = oci.resolve_image(oci.Layout.open(str(layout), "image"))
    raw = json.loads(subprocess.run(["skopeo", "inspect", "--raw", f"docker-archive:{out}"], check=True,
                                    capture_output=True).stdout)
    assert raw["config"]["digest"] == image.config_descriptor.digest
    info = json.loads(subprocess.run(["skopeo", "inspect", f"docker-archive:{out}"], check=True,
                                     capture_output=True).stdout)
    assert info["Layers"] == image.diff_ids()


def test_bad_repo_tag_is_one_line(tmp_path):
    layout = _image(tmp_path)
    out = tmp_path / "image.tar"
    result = run_tool(TARBALL, [f"--layout={layout}", "--repo_tag=App Name", f"--output={out}"])
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("image_tarball: error: repo tag 'App Name' is not NAME:TAG")
    assert not out.exists()
