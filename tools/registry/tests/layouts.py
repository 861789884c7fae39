"""Writes small real OCI image layouts for the tests (gzip tar layers, config, manifest)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile

from tools.common.canonical_json import dumps


def _tar_with_file(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _write_blob(root: str, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256", digest[7:])
    with open(path, "wb") as f:
        f.write(data)
    return digest, len(data)


def _write_big_tar_blob(root: str, size: int, seed: bytes) -> tuple[str, int, str]:
    """An uncompressed tar holding one `size`-byte file, streamed to disk; returns digest, size, diff_id."""
    info = tarfile.TarInfo("big.bin")
    info.size, info.mtime, info.mode = size, 0, 0o644
    header = info.tobuf(format=tarfile.PAX_FORMAT)
    h = hashlib.sha256()
    tmp = os.path.join(root, "big.tmp")
    total = 0
    with open(tmp, "wb") as f:
        def put(data: bytes) -> None:
            nonlocal total
            h.update(data)
            f.write(data)
            total += len(data)

        put(header)
        block = hashlib.sha512(seed).digest() * 16384  # 1 MiB, varied so nothing dedups by accident
        counter = 0
        remaining = size
        while remaining:
            piece = block[: min(len(block), remaining)]
            put(counter.to_bytes(8, "big") + piece[8:] if len(piece) >= 8 else piece)
            counter += 1
            remaining -= len(piece)
        put(b"\0" * ((512 - size % 512) % 512) + b"\0" * 1024)
    digest = "sha256:" + h.hexdigest()
    os.replace(tmp, os.path.join(root, "blobs", "sha256", digest[7:]))
    return digest, total, digest


def make_layout(
    root: str,
    files: dict[str, bytes] | None = None,
    *,
    big_layer_size: int = 0,
    seed: bytes = b"seed",
) -> dict:
    """Writes a layout with one gzip layer per file (plus an optional big uncompressed layer).

    The manifest is deliberately written with non-canonical whitespace and key order, so a client
    that re-encoded it would change its digest. Returns digests and paths for assertions.
    """
    files = files if files is not None else {"hello.txt": b"hello " + seed}
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    layers, diff_ids = [], []
    for name, data in files.items():
        tar = _tar_with_file(name, data)
        gz = gzip.compress(tar, compresslevel=6, mtime=0)
        digest, size = _write_blob(root, gz)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    if big_layer_size:
        digest, size, diff_id = _write_big_tar_blob(root, big_layer_size, seed)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size})
        diff_ids.append(diff_id)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"seed": seed.decode("ascii", "replace")}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_digest, config_size = _write_blob(root, dumps(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "layers": layers,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": config_size},
    }
    manifest_bytes = json.dumps(manifest, indent=3).encode() + b"\n"
    manifest_digest, manifest_size = _write_blob(root, manifest_bytes)
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    }
    with open(os.path.join(root, "index.json"), "wb") as f:
        f.write(dumps(index))
    with open(os.path.join(root, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))
    return {
        "root": root,
        "manifest_digest": manifest_digest,
        "manifest_bytes": manifest_bytes,
        "config_digest": config_digest,
        "layer_digests": [layer["digest"] for layer in layers],
        "blob_count": len(layers) + 1,
    }
