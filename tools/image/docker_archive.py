"""A loadable tarball of an image: what `docker load` and `podman load` read (`docker save`'s
format), holding the OCI layout too, as Docker 25+ writes it.

    manifest.json            [{"Config": "blobs/sha256/<config>", "RepoTags": [...], "Layers": [...]}]
    index.json, oci-layout   the OCI layout of the same image (ref name: the first repo tag)
    blobs/sha256/<hex>       config, manifest and layer blobs, byte for byte the layout's

Layers stay compressed as in the layout (docker and podman decompress on load), so the tarball
is the layout's bytes plus two small JSON files. The tar is written by the layer writer's
builder: sorted, owners 0, mtime 0, no byte from the machine or the clock.
"""

from __future__ import annotations

import re
from typing import BinaryIO, Sequence

from tools.common import canonical_json, oci
from tools.common.digest import digest_hex
from tools.common.errors import UserError
from tools.layer.builder import LayerBuilder

# docker's reference grammar, as far as a repo tag goes: lower-case path components, a tag.
_REPO_TAG = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                       r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def check_repo_tag(tag: str) -> str:
    if not _REPO_TAG.fullmatch(tag):
        raise UserError(f"repo tag {tag!r} is not NAME:TAG as docker load takes it (lower-case name, e.g. "
                        "collector:latest or registry.example/fcp/collector:1.0)")
    return tag


def write(image: oci.Image, repo_tags: Sequence[str], out: BinaryIO) -> None:
    """Writes the tarball of `image` (read from its layout) to `out`."""
    tags = [check_repo_tag(t) for t in repo_tags]
    layout = image.layout
    blob = lambda digest: f"blobs/sha256/{digest_hex(digest)}"  # noqa: E731
    docker_manifest = [{
        "Config": blob(image.config_descriptor.digest),
        "RepoTags": tags,
        "Layers": [blob(layer.digest) for layer in image.layers],
    }]
    annotations = {oci.REF_NAME_ANNOTATION: tags[0]} if tags else {}
    if tags:
        annotations["io.containerd.image.name"] = tags[0]
    descriptor = image.manifest_descriptor.to_json()
    descriptor["annotations"] = annotations
    if not annotations:
        del descriptor["annotations"]
    index = {"schemaVersion": 2, "mediaType": oci.OCI_INDEX, "manifests": [descriptor]}
    with LayerBuilder(mtime=0) as builder:
        for desc, what in ([(image.manifest_descriptor, "manifest"), (image.config_descriptor, "config")]
                           + [(layer, "layer") for layer in image.layers]):
            path = layout.stat_blob(desc, f"the image's {what}")
            builder.add_file(blob(desc.digest), path, mode=0o644)
        builder.add_bytes("manifest.json", canonical_json.dumps(docker_manifest))
        builder.add_bytes("index.json", canonical_json.dumps(index))
        builder.add_bytes("oci-layout", canonical_json.dumps({"imageLayoutVersion": oci.LAYOUT_VERSION}))
        builder.write(out, compression="none")
