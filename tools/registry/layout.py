"""What a push needs from an OCI image layout: blobs, then manifests (children first).

The layout is read by the project's one layout reader (`tools.common.oci`); this module only
walks it in push order. Manifest bytes are kept exactly as stored: the registry computes the
digest over the bytes we PUT, so re-encoding them would publish a different image.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tools.common import oci
from tools.common.errors import UserError
from tools.common.json_file import parse_json


@dataclasses.dataclass(frozen=True)
class Blob:
    descriptor: oci.Descriptor
    path: str | None  # None: a foreign layer that is not in the layout and is not pushed

    @property
    def digest(self) -> str:
        return self.descriptor.digest

    @property
    def size(self) -> int:
        return self.descriptor.size


@dataclasses.dataclass(frozen=True)
class Manifest:
    descriptor: oci.Descriptor  # as the index that names it has it
    media_type: str  # what the registry is told: the manifest's own mediaType, else the descriptor's
    data: bytes  # exactly as stored

    @property
    def digest(self) -> str:
        return self.descriptor.digest


@dataclasses.dataclass(frozen=True)
class PushPlan:
    blobs: tuple[Blob, ...]  # unique, in upload order
    manifests: tuple[Manifest, ...]  # children before the index that names them; root last

    @property
    def root(self) -> Manifest:
        return self.manifests[-1]


class _Walk:
    def __init__(self, layout: oci.Layout) -> None:
        self.layout = layout
        self.blobs: dict[str, Blob] = {}
        self.manifests: dict[str, Manifest] = {}

    def add_blob(self, desc: oci.Descriptor, where: str) -> None:
        if desc.digest in self.blobs:
            return
        if desc.urls and not self.layout.has_blob(desc):
            # Foreign (non-distributable) layers live at their URLs, not in the layout.
            self.blobs[desc.digest] = Blob(desc, None)
            return
        self.blobs[desc.digest] = Blob(desc, self.layout.stat_blob(desc, where))

    def add_manifest(self, desc: oci.Descriptor, where: str) -> None:
        if desc.digest in self.manifests:
            return
        data = self.layout.read_blob(desc, where)
        path = self.layout.blob_path(desc.digest)
        body: Any = parse_json(data, path, "manifest")
        if not isinstance(body, dict):
            raise UserError(f"manifest {path} is not a JSON object")
        media_type = body["mediaType"] if isinstance(body.get("mediaType"), str) else desc.media_type
        if oci.is_index(body, desc.media_type):
            for i, child in enumerate(oci.parse_descriptors(body.get("manifests"), f"image index {path} manifests")):
                child_where = f"image index {path} manifests[{i}]"
                if child.media_type in oci.MANIFEST_MEDIA_TYPES + oci.INDEX_MEDIA_TYPES:
                    self.add_manifest(child, child_where)
                else:
                    self.add_blob(child, child_where)  # e.g. an artifact blob an index refers to
        elif media_type in oci.MANIFEST_MEDIA_TYPES or "config" in body:
            config, layers = oci.manifest_parts(body, f"manifest {path}")
            for i, layer in enumerate(layers):
                self.add_blob(layer, f"manifest {path} layers[{i}]")
            self.add_blob(config, f"manifest {path} config")
        else:
            raise UserError(f"manifest {path}: unsupported media type {media_type!r}")
        # Inserted after its children, so dict order is a valid push order.
        self.manifests[desc.digest] = Manifest(desc, media_type, data)


def read_layout(root: str) -> PushPlan:
    """Validates the layout at `root` and returns what to push; raises UserError naming the file."""
    layout = oci.Layout.open(root, "image layout")
    manifests = layout.read_index()
    if len(manifests) != 1:
        raise UserError(f"{layout.index_path}: expected exactly one manifest descriptor, found {len(manifests)}")
    walk = _Walk(layout)
    walk.add_manifest(manifests[0], f"{layout.index_path} manifests[0]")
    return PushPlan(blobs=tuple(walk.blobs.values()), manifests=tuple(walk.manifests.values()))
