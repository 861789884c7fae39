"""Reading OCI layouts: what is pushed, in which order, and how bad layouts are reported."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from tools.common.canonical_json import dumps
from tools.common.errors import UserError
from tools.common.oci import OCI_INDEX
from tools.registry.layout import read_layout
from tools.registry.tests import layouts


def test_plan_of_a_single_image(tmp_path):
    info = layouts.make_layout(str(tmp_path / "l"), {"a": b"1", "b": b"2"})
    plan = read_layout(info["root"])
    assert [b.digest for b in plan.blobs] == info["layer_digests"] + [info["config_digest"]]
    assert plan.root.digest == info["manifest_digest"]
    assert plan.root.data == info["manifest_bytes"]  # the stored bytes, not a re-encoding


def test_skopeo_reads_the_test_layout(tmp_path):
    """Sanity check of the test layouts themselves: a standard tool copies them unchanged."""
    if shutil.which("skopeo") is None:
        pytest.skip("needs skopeo on PATH (Debian package skopeo)")
    info = layouts.make_layout(str(tmp_path / "l"))
    subprocess.run(["skopeo", "copy", "--preserve-digests", f"oci:{info['root']}:latest", f"oci:{tmp_path / 'copy'}:x"],
                   check=True, capture_output=True)
    with open(tmp_path / "copy" / "index.json") as f:
        assert json.load(f)["manifests"][0]["digest"] == info["manifest_digest"]


def test_index_children_come_first(tmp_path):
    info = layouts.make_layout(str(tmp_path / "l"))
    root = info["root"]
    with open(os.path.join(root, "index.json")) as f:
        child = json.load(f)["manifests"][0]
    nested = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [child]})
    digest = "sha256:" + hashlib.sha256(nested).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(nested)
    with open(os.path.join(root, "index.json"), "wb") as f:
        f.write(dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": OCI_INDEX, "digest": digest, "size": len(nested)}]}))
    plan = read_layout(root)
    assert [m.digest for m in plan.manifests] == [info["manifest_digest"], digest]
    assert plan.root.media_type == OCI_INDEX and len(plan.blobs) == info["blob_count"]


def test_symlinked_blobs_are_followed(tmp_path):
    info = layouts.make_layout(str(tmp_path / "l"))
    store = tmp_path / "store"
    store.mkdir()
    blob = os.path.join(info["root"], "blobs", "sha256", info["config_digest"][7:])
    shutil.move(blob, store / "config")
    os.symlink(store / "config", blob)
    assert info["config_digest"] in [b.digest for b in read_layout(info["root"]).blobs]


@pytest.mark.parametrize("damage, message", [
    ("missing-layer", r"blob .*/blobs/sha256/\w+ referenced by manifest .* layers\[0\] is missing"),
    ("short-layer", "is 3 bytes but manifest .* layers.0. says"),
    ("two-manifests", "exactly one manifest descriptor, found 2"),
    ("bad-marker", "imageLayoutVersion"),
    ("bad-digest", "is not of the form sha256:"),
    ("wrong-manifest-bytes", "has digest sha256:.* not sha256:.* as .*index.json manifests.0. says"),
])
def test_damaged_layouts(tmp_path, damage, message):
    info = layouts.make_layout(str(tmp_path / "l"))
    root = info["root"]
    layer = os.path.join(root, "blobs", "sha256", info["layer_digests"][0][7:])
    index_path = os.path.join(root, "index.json")
    with open(index_path) as f:
        index = json.load(f)
    if damage == "missing-layer":
        os.unlink(layer)
    elif damage == "short-layer":
        with open(layer, "r+b") as f:
            f.truncate(3)
    elif damage == "two-manifests":
        index["manifests"] *= 2
    elif damage == "bad-marker":
        with open(os.path.join(root, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"2"}')
    elif damage == "bad-digest":
        index["manifests"][0]["digest"] = "sha256:../../etc/passwd"
    elif damage == "wrong-manifest-bytes":
        manifest = os.path.join(root, "blobs", "sha256", info["manifest_digest"][7:])
        with open(manifest, "r+b") as f:
            f.write(b" ")  # same size, other bytes
    with open(index_path, "w") as f:
        json.dump(index, f)
    with pytest.raises(UserError, match=message):
        read_layout(root)
