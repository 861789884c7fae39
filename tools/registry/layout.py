"""Reads an OCI image layout into what a push needs: blobs, then manifests (children first).

Manifest bytes are kept exactly as stored: the registry computes the digest over the bytes we PUT,
so re-encoding them would publish a different image.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re

from tools.common.errors import UserError

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
_MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})

_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclasses.dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    path: str | None  # None: a foreign layer that is not in the layout and is not pushed


@dataclasses.dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    data: bytes


@dataclasses.dataclass(frozen=True)
class PushPlan:
    blobs: tuple[Blob, ...]  # unique, in upload order
    manifests: tuple[Manifest, ...]  # children before the index that names them; root last
    ref_name: str | None

    @property
    def root(self) -> Manifest:
        return self.manifests[-1]


def _sha256_hex(digest: str, where: str) -> str:
    m = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if not m:
        raise UserError(f"{where}: digest {digest!r} is not sha256:<64 lower-case hex digits>")
    return m.group(1)


def _load_json(path: str, what: str) -> object:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        raise UserError(f"{path}: missing; --layout must be an OCI image layout directory ({what})") from None
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: cannot read {what}: {e}") from None


class _Reader:
    def __init__(self, root: str) -> None:
        self.root = root
        self.blobs: dict[str, Blob] = {}
        self.manifests: dict[str, Manifest] = {}

    def blob_path(self, digest: str, where: str) -> str:
        return os.path.join(self.root, "blobs", "sha256", _sha256_hex(digest, where))

    def descriptor(self, d: object, where: str) -> tuple[str, int, str | None]:
        if not isinstance(d, dict) or not isinstance(d.get("digest"), str) or not isinstance(d.get("size"), int):
            raise UserError(f"{where}: descriptor needs a string digest and an integer size")
        _sha256_hex(d["digest"], where)
        if d["size"] < 0:
            raise UserError(f"{where}: negative size")
        media_type = d.get("mediaType")
        return d["digest"], d["size"], media_type if isinstance(media_type, str) else None

    def add_blob(self, d: object, where: str) -> None:
        digest, size, _ = self.descriptor(d, where)
        if digest in self.blobs:
            return
        path = self.blob_path(digest, where)
        try:
            actual = os.stat(path).st_size
        except FileNotFoundError:
            if isinstance(d, dict) and d.get("urls"):
                # Foreign (non-distributable) layers live at their URLs, not in the layout.
                self.blobs[digest] = Blob(digest, size, None)
                return
            raise UserError(f"{path}: blob {digest} named by {where} is missing from the layout") from None
        if actual != size:
            raise UserError(f"{path}: blob is {actual} bytes but {where} says {size}; the layout is corrupt")
        self.blobs[digest] = Blob(digest, size, path)

    def add_manifest(self, d: object, where: str) -> None:
        digest, size, declared_type = self.descriptor(d, where)
        if digest in self.manifests:
            return
        path = self.blob_path(digest, where)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise UserError(f"{path}: manifest {digest} named by {where} is missing from the layout") from None
        if len(data) != size or "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise UserError(f"{path}: content does not match {digest} (size {size}) named by {where}")
        try:
            body = json.loads(data)
        except ValueError as e:
            raise UserError(f"{path}: manifest is not JSON: {e}") from None
        if not isinstance(body, dict):
            raise UserError(f"{path}: manifest is not a JSON object")
        media_type = body.get("mediaType") if isinstance(body.get("mediaType"), str) else declared_type
        if media_type is None:
            media_type = OCI_INDEX if "manifests" in body else OCI_MANIFEST
        if media_type in _INDEX_TYPES:
            children = body.get("manifests")
            if not isinstance(children, list):
                raise UserError(f"{path}: index has no manifests list")
            for i, child in enumerate(children):
                child_where = f"{path} manifests[{i}]"
                _, _, child_type = self.descriptor(child, child_where)
                if child_type in _INDEX_TYPES or child_type in _MANIFEST_TYPES or child_type is None:
                    self.add_manifest(child, child_where)
                else:
                    self.add_blob(child, child_where)  # e.g. an artifact blob referenced by an index
        elif media_type in _MANIFEST_TYPES or "config" in body:
            layers = body.get("layers")
            if not isinstance(layers, list):
                raise UserError(f"{path}: manifest has no layers list")
            for i, layer in enumerate(layers):
                self.add_blob(layer, f"{path} layers[{i}]")
            self.add_blob(body.get("config"), f"{path} config")
        else:
            raise UserError(f"{path}: unsupported manifest media type {media_type!r}")
        # Inserted after its children, so dict order is a valid push order.
        self.manifests[digest] = Manifest(digest, media_type, data)


def read_layout(root: str) -> PushPlan:
    """Validates the layout at `root` and returns what to push; raises UserError naming the file."""
    if not os.path.isdir(root):
        raise UserError(f"--layout={root}: not a directory; pass the OCI image layout directory")
    marker = _load_json(os.path.join(root, "oci-layout"), "the oci-layout marker")
    if not isinstance(marker, dict) or marker.get("imageLayoutVersion") != "1.0.0":
        raise UserError(f"{os.path.join(root, 'oci-layout')}: expected imageLayoutVersion 1.0.0")
    index_path = os.path.join(root, "index.json")
    index = _load_json(index_path, "the image index")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list) or len(manifests) != 1:
        count = len(manifests) if isinstance(manifests, list) else 0
        raise UserError(f"{index_path}: expected exactly one manifest descriptor, found {count}")
    reader = _Reader(root)
    reader.add_manifest(manifests[0], f"{index_path} manifests[0]")
    annotations = manifests[0].get("annotations")
    ref_name = annotations.get(REF_NAME_ANNOTATION) if isinstance(annotations, dict) else None
    return PushPlan(
        blobs=tuple(reader.blobs.values()),
        manifests=tuple(reader.manifests.values()),
        ref_name=ref_name if isinstance(ref_name, str) else None,
    )
