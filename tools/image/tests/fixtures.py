"""Builds real inputs for the image tests: layer tars, descriptors, and OCI layouts.

Test-only: production layers come from the layer writer, not from here.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any, Sequence

from tools.common import canonical_json, oci
from tools.image import assembler
from tools.image.spec import ImageSpec, LayerInput

REPO_ROOT = Path(__file__).parents[3]
ASSEMBLER = REPO_ROOT / "tools" / "image" / "image_assembler.py"
IMAGE_DIFF = REPO_ROOT / "tools" / "image" / "image_diff.py"


@dataclasses.dataclass
class Entry:
    path: str
    data: bytes = b""
    type: str = "file"  # file, dir, symlink, hardlink
    mode: int | None = None
    mtime: int = 0
    uid: int = 0
    gid: int = 0
    uname: str = ""
    gname: str = ""
    linkname: str = ""


_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}


def tar_bytes(entries: Sequence[Entry], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            info = tarfile.TarInfo(e.path)
            info.type = _TYPES[e.type]
            info.mode = e.mode if e.mode is not None else (0o755 if e.type == "dir" else 0o644)
            info.mtime = e.mtime
            info.uid, info.gid, info.uname, info.gname = e.uid, e.gid, e.uname, e.gname
            info.linkname = e.linkname
            if e.type == "file":
                info.size = len(e.data)
                tf.addfile(info, io.BytesIO(e.data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def gzip_bytes(data: bytes, mtime: int = 0) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", mtime=mtime) as gz:
        gz.write(data)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_layer(directory: Path, name: str, entries: Sequence[Entry], compression: str = "gzip",
                gzip_mtime: int = 0) -> LayerInput:
    """Writes `<name>.tar[.gz|.zst]` and `<name>.json` (layer-writer descriptor format)."""
    directory.mkdir(parents=True, exist_ok=True)
    tar = tar_bytes(entries)
    if compression == "gzip":
        blob, media_type, suffix = gzip_bytes(tar, gzip_mtime), oci.LAYER_TAR_GZIP, ".tar.gz"
    elif compression == "zstd":
        import zstandard

        blob, media_type, suffix = zstandard.ZstdCompressor().compress(tar), oci.LAYER_TAR_ZSTD, ".tar.zst"
    else:
        blob, media_type, suffix = tar, oci.LAYER_TAR, ".tar"
    blob_path = directory / (name + suffix)
    blob_path.write_bytes(blob)
    desc_path = directory / (name + ".json")
    desc_path.write_text(json.dumps(
        {"mediaType": media_type, "digest": sha256(blob), "size": len(blob), "diffID": sha256(tar)}))
    return LayerInput(str(blob_path), str(desc_path))


def build_image(output: Path, layers: Sequence[LayerInput] = (), **spec_fields: Any) -> str:
    """Assembles through the library; returns the manifest digest."""
    spec = ImageSpec(layers=list(layers), **spec_fields)
    spec.validate("test")
    return assembler.assemble(spec, str(output)).manifest_digest


def write_blob(layout: Path, data: bytes) -> dict[str, Any]:
    blob_dir = layout / "blobs" / "sha256"
    blob_dir.mkdir(parents=True, exist_ok=True)
    digest = sha256(data)
    (blob_dir / digest.split(":")[1]).write_bytes(data)
    return {"digest": digest, "size": len(data)}


def write_layout_by_hand(
    layout: Path,
    layers: Sequence[tuple[str, str, int]],  # (mediaType, digest, size) of blobs already placed
    diff_ids: Sequence[str],
    config_extra: dict[str, Any] | None = None,
    manifest_media_type: str = oci.OCI_MANIFEST,
    config_media_type: str = oci.OCI_CONFIG,
    architecture: str = "amd64",
) -> dict[str, Any]:
    """Writes config, manifest and index.json around existing layer blobs; returns the manifest descriptor."""
    config = {"architecture": architecture, "os": "linux", "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
              **(config_extra or {})}
    config_desc = {"mediaType": config_media_type, **write_blob(layout, json.dumps(config, indent=2).encode())}
    manifest = {"schemaVersion": 2, "mediaType": manifest_media_type, "config": config_desc,
                "layers": [{"mediaType": m, "digest": d, "size": s} for m, d, s in layers]}
    manifest_desc = {"mediaType": manifest_media_type, **write_blob(layout, json.dumps(manifest).encode())}
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest_desc]}))
    return manifest_desc


def merge_into_index(output: Path, images: Sequence[tuple[Path, str]], nested: bool = True) -> None:
    """Makes one multi-platform layout from single-image layouts, given as (layout, "os/arch").

    nested=True: index.json -> image index blob -> manifests (what `skopeo copy --all` writes);
    nested=False: index.json lists the platform manifests directly.
    """
    descriptors = []
    for layout, platform in images:
        for blob in (layout / "blobs" / "sha256").iterdir():
            target = output / "blobs" / "sha256" / blob.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.read_bytes())
        entry = json.loads((layout / "index.json").read_text())["manifests"][0]
        os_name, arch = platform.split("/")
        descriptors.append({"mediaType": entry["mediaType"], "digest": entry["digest"], "size": entry["size"],
                            "platform": {"os": os_name, "architecture": arch}})
    (output / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    if nested:
        index_blob = canonical_json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_INDEX, "manifests": descriptors})
        top = [{"mediaType": oci.OCI_INDEX, **write_blob(output, index_blob)}]
    else:
        top = descriptors
    (output / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": top}))


def run_tool(script: Path, args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
             umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def preexec() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd or REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=preexec,
        timeout=120,
    )
