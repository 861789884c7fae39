"""Where an image to explain comes from: an OCI layout directory (`DIR` or `DIR:tag`), an
OCI layout or `docker save` tarball (`FILE.tar`), or a registry reference.

A tarball is unpacked into a temporary directory for as long as the comparison runs; a `docker
save` tarball without an OCI layout inside gets one made from its manifest.json (its manifest
digest is then ours, not a registry's: only config and layers are the image's own bytes).

Registry references (`docker://HOST/PATH:tag`, `HOST/PATH@sha256:...`) are pulled by the
registry client (tools/registry) into a temporary layout: `pull_to_layout`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from typing import Iterator

from tools.common import canonical_json, oci
from tools.common.errors import UserError
from tools.image.explain import ImageRef, parse_reference

_REGISTRY = re.compile(r"^(?:docker://)?[a-z0-9.-]+(?::[0-9]+)?/[^@\s]+(?:@sha256:[0-9a-f]{64}|:[\w.-]+)$")


def is_registry_reference(text: str) -> bool:
    return text.startswith("docker://") or (not os.path.exists(text.split(":", 1)[0]) and
                                             bool(_REGISTRY.match(text)) and "." in text.split("/", 1)[0])


def pull_to_layout(reference: str, dest: str, access: "reader.Access | None" = None) -> None:
    """Pulls `reference` into an OCI layout at `dest` with the registry client (credentials from
    the Docker config; `access` for a CA file or plain HTTP to a loopback registry)."""
    from tools.registry import pull, reader  # tools/registry does not import tools/image
    from tools.registry.errors import RegistryError

    repository, tag_or_digest = reader.parse_image(reference)
    try:
        with reader.Reader(access or reader.Access(), log=lambda message: None) as session:
            pull.pull_to_layout(session.client(repository), tag_or_digest, dest)
    except RegistryError as e:
        raise UserError(f"pulling {reference} failed: {e}") from None


def _synthesize_layout(root: str) -> None:
    """An OCI layout in `root` for the `docker save` files there (manifest.json, config, layers)."""
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        entries = json.load(f)
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{root}: manifest.json lists no image")
    entry = entries[0]
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def place(rel: str) -> tuple[str, int, bytes]:
        path = os.path.join(root, rel)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0)
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        hex_digest = digest.hexdigest()
        target = os.path.join(blobs, hex_digest)
        if not os.path.exists(target):
            os.link(path, target)
        return "sha256:" + hex_digest, os.path.getsize(path), head

    config_digest, config_size, _ = place(entry["Config"])
    layers = []
    for rel in entry["Layers"]:
        digest, size, head = place(rel)
        layers.append({"mediaType": oci.LAYER_TAR_GZIP if head == b"\x1f\x8b" else oci.LAYER_TAR,
                       "digest": digest, "size": size})
    manifest = canonical_json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST, "layers": layers,
                                     "config": {"mediaType": oci.OCI_CONFIG, "digest": config_digest,
                                                "size": config_size}})
    manifest_hex = hashlib.sha256(manifest).hexdigest()
    with open(os.path.join(blobs, manifest_hex), "wb") as f:
        f.write(manifest)
    with open(os.path.join(root, "index.json"), "wb") as f:
        f.write(canonical_json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": oci.OCI_MANIFEST, "digest": "sha256:" + manifest_hex, "size": len(manifest)}]}))
    with open(os.path.join(root, "oci-layout"), "wb") as f:
        f.write(canonical_json.dumps({"imageLayoutVersion": oci.LAYOUT_VERSION}))


def _extract(tarball: str, dest: str) -> None:
    """The regular files and directories of an image tarball (nothing else belongs in one)."""
    with tarfile.open(tarball) as tar:
        for member in tar:
            name = os.path.normpath(member.name)
            if name.startswith(("/", "..")) or not (member.isfile() or member.isdir()):
                raise UserError(f"{tarball}: member {member.name!r} is not a plain file or directory inside "
                                "the archive; not an image tarball")
            target = os.path.join(dest, name)
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(src, out, 1 << 20)


@contextlib.contextmanager
def opened(text: str) -> Iterator[ImageRef]:
    """The image `text` names, as an OCI layout on disk for the duration of the block."""
    if os.path.isfile(text):
        if not tarfile.is_tarfile(text):
            raise UserError(f"{text} is a file but not a tar (expected an OCI layout directory or an image tarball)")
        tmp = tempfile.mkdtemp(prefix="image-")
        try:
            _extract(text, tmp)
            if not os.path.exists(os.path.join(tmp, oci.INDEX_FILE)):
                if not os.path.exists(os.path.join(tmp, "manifest.json")):
                    raise UserError(f"{text} holds neither an OCI layout (index.json) nor docker's manifest.json")
                _synthesize_layout(tmp)
            yield ImageRef(tmp, None, display=text)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    elif is_registry_reference(text):
        tmp = tempfile.mkdtemp(prefix="image-")
        try:
            pull_to_layout(text, tmp)
            yield ImageRef(tmp, None, display=text)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        yield parse_reference(text)
