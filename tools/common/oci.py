"""The one reader of OCI image layouts: media types, descriptors, blobs, and picking one image.

Used by everything that opens a layout: the assembler (a base image), the diff explainer and
the reproducibility test (finished images), the publisher (what to push) and the tests. Nothing
here hashes a layer blob: layers are trusted by the digest in their manifest and checked cheaply
by size; only the small blobs we read into memory (manifests, configs, indexes) are hashed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from tools.common.digest import check_digest, digest_hex, sha256_digest
from tools.common.errors import UserError
from tools.common.json_file import MAX_SIZE, load_json, parse_json

OCI_LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
LAYOUT_VERSION = "1.0.0"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"

REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"

OCI_LAYER_MEDIA_TYPES = (LAYER_TAR, LAYER_TAR_GZIP, LAYER_TAR_ZSTD)

# Docker schema 2 layers are the same bytes as their OCI counterparts, so a base pulled in
# Docker format is rewritten to OCI media types without touching any blob.
LAYER_MEDIA_TYPE_TO_OCI = {
    LAYER_TAR: LAYER_TAR,
    LAYER_TAR_GZIP: LAYER_TAR_GZIP,
    LAYER_TAR_ZSTD: LAYER_TAR_ZSTD,
    "application/vnd.docker.image.rootfs.diff.tar": LAYER_TAR,
    "application/vnd.docker.image.rootfs.diff.tar.gzip": LAYER_TAR_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar.zstd": LAYER_TAR_ZSTD,
}
MANIFEST_MEDIA_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_MEDIA_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
CONFIG_MEDIA_TYPES = (OCI_CONFIG, DOCKER_CONFIG)

# Blobs read into memory (index, manifest, config) are JSON documents of kilobytes; a larger one
# is not a real image.
MAX_IN_MEMORY_BLOB = MAX_SIZE

_MAX_INDEX_DEPTH = 4


def checked_blob(path: str, size: int, what: str, described_by: str, fix: str) -> str:
    """Checks that the blob file `path` exists with `size` bytes; returns it with symlinks resolved
    (Bazel hands inputs over as symlinks, and callers that hard-link need the real file).

    Errors name the blob as `what` (e.g. "layer blob"), the file that describes it, and `fix`.
    """
    real = os.path.realpath(path)
    try:
        actual = os.stat(real).st_size
    except FileNotFoundError:
        raise UserError(f"{what} {path} referenced by {described_by} is missing") from None
    except OSError as e:
        raise UserError(f"cannot stat {what} {path}: {e.strerror}") from None
    if actual != size:
        raise UserError(f"{what} {path} is {actual} bytes but {described_by} says {size}; {fix}")
    return real


@dataclasses.dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = dataclasses.field(default_factory=dict)
    platform: dict[str, Any] | None = None
    urls: tuple[str, ...] = ()  # where a non-distributable ("foreign") blob lives instead

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = dict(self.platform)
        if self.urls:
            out["urls"] = list(self.urls)
        return out

    def platform_name(self) -> str:
        if not self.platform:
            name = "no platform"
        else:
            name = f"{self.platform.get('os', '?')}/{self.platform.get('architecture', '?')}"
            if self.platform.get("variant"):
                name += "/" + str(self.platform["variant"])
        if REF_NAME_ANNOTATION in self.annotations:
            name += f" tagged {self.annotations[REF_NAME_ANNOTATION]!r}"
        return name


def check_size(value: Any, where: str) -> int:
    # bool is an int subclass; `true` is not a size.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UserError(f"{where}: size {value!r} is not a non-negative integer")
    return value


def check_string_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise UserError(f"{where}: expected an object mapping strings to strings, got {json.dumps(value)[:200]}")
    return dict(value)


def parse_descriptor(obj: Any, where: str) -> Descriptor:
    """Parses an OCI descriptor object; `where` names the file (and position) for errors."""
    if not isinstance(obj, dict):
        raise UserError(f"{where}: a descriptor must be a JSON object, got {type(obj).__name__}")
    media_type = obj.get("mediaType")
    if not isinstance(media_type, str) or not media_type:
        raise UserError(f"{where}: descriptor has no mediaType string")
    annotations = check_string_map(obj["annotations"], where + " annotations") if "annotations" in obj else {}
    platform = obj.get("platform")
    if platform is not None and not isinstance(platform, dict):
        raise UserError(f"{where}: descriptor platform must be an object")
    urls = obj.get("urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise UserError(f"{where}: descriptor urls must be a list of strings")
    return Descriptor(
        media_type=media_type,
        digest=check_digest(obj.get("digest"), where),
        size=check_size(obj.get("size"), where),
        annotations=annotations,
        platform=platform,
        urls=tuple(urls),
    )


def parse_descriptors(value: Any, where: str) -> list[Descriptor]:
    """A JSON list of descriptors (an index's `manifests`, a manifest's `layers`)."""
    if not isinstance(value, list):
        raise UserError(f"{where} must be a list of descriptors")
    return [parse_descriptor(item, f"{where}[{i}]") for i, item in enumerate(value)]


def is_index(body: dict[str, Any], media_type: str | None) -> bool:
    """Whether a manifest-like document is an image index: by its media type, else by its shape."""
    declared = body.get("mediaType") if isinstance(body.get("mediaType"), str) else media_type
    if declared in INDEX_MEDIA_TYPES:
        return True
    return declared not in MANIFEST_MEDIA_TYPES and "manifests" in body


def manifest_parts(body: dict[str, Any], where: str) -> tuple[Descriptor, list[Descriptor]]:
    """(config, layers) of an image manifest; `where` names it in errors."""
    if body.get("schemaVersion") != 2:
        raise UserError(f"{where}: schemaVersion must be 2, got {body.get('schemaVersion')!r}")
    return parse_descriptor(body.get("config"), f"{where} config"), parse_descriptors(body.get("layers", []),
                                                                                     f"{where} layers")


class Layout:
    """An OCI image layout directory on disk."""

    def __init__(self, root: str, what: str) -> None:
        self.root = root
        self.what = what  # how errors name this layout, e.g. "base image"

    @classmethod
    def open(cls, root: str, what: str) -> "Layout":
        if not os.path.isdir(root):
            raise UserError(f"{what} {root} is not a directory (expected an OCI image layout)")
        layout_file = os.path.join(root, OCI_LAYOUT_FILE)
        marker = load_json(layout_file, f"{what} layout marker")
        if not isinstance(marker, dict) or marker.get("imageLayoutVersion") != LAYOUT_VERSION:
            raise UserError(
                f"{what} layout marker {layout_file} must be {{\"imageLayoutVersion\":\"{LAYOUT_VERSION}\"}}"
            )
        return cls(root, what)

    @property
    def index_path(self) -> str:
        return os.path.join(self.root, INDEX_FILE)

    def blob_path(self, digest: str) -> str:
        return os.path.join(self.root, "blobs", "sha256", digest_hex(digest))

    def has_blob(self, desc: Descriptor) -> bool:
        return os.path.lexists(self.blob_path(desc.digest))

    def stat_blob(self, desc: Descriptor, referenced_by: str) -> str:
        """Checks that the blob exists with the descriptor's size; returns its resolved path."""
        return checked_blob(self.blob_path(desc.digest), desc.size, f"{self.what} {self.root}: blob", referenced_by,
                            "the layout is corrupt or incomplete")

    def read_blob(self, desc: Descriptor, referenced_by: str) -> bytes:
        """The bytes of a small blob (a manifest, config or index), checked against size and digest."""
        path = self.blob_path(desc.digest)
        self.stat_blob(desc, referenced_by)
        if desc.size > MAX_IN_MEMORY_BLOB:
            raise UserError(f"{self.what} {self.root}: blob {path} is {desc.size} bytes; too large for a JSON document")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise UserError(f"{self.what} {self.root}: cannot read blob {path}: {e.strerror}") from None
        actual = sha256_digest(data)
        if actual != desc.digest:
            raise UserError(
                f"{self.what} {self.root}: blob {path} has digest {actual}, not {desc.digest} as "
                f"{referenced_by} says; the layout is corrupt"
            )
        return data

    def read_json_blob(self, desc: Descriptor, referenced_by: str) -> dict[str, Any]:
        """A small JSON blob as an object, checked like `read_blob`."""
        path = self.blob_path(desc.digest)
        value = parse_json(self.read_blob(desc, referenced_by), path, f"{self.what} blob")
        if not isinstance(value, dict):
            raise UserError(f"{self.what} {self.root}: blob {path} must hold a JSON object")
        return value

    def read_index(self) -> list[Descriptor]:
        """The descriptors of `index.json`."""
        index = load_json(self.index_path, f"{self.what} index")
        if not isinstance(index, dict):
            raise UserError(f"{self.what} index {self.index_path} must be an object with a \"manifests\" list")
        return parse_descriptors(index.get("manifests"), f"{self.what} index {self.index_path} manifests")


@dataclasses.dataclass(frozen=True)
class Image:
    """One image of a layout: its manifest and config, parsed and checked."""

    layout: Layout
    manifest_descriptor: Descriptor
    manifest: dict[str, Any]
    config_descriptor: Descriptor
    config: dict[str, Any]
    layers: list[Descriptor]  # media types as written in the manifest (may be Docker's)

    @property
    def manifest_path(self) -> str:
        return self.layout.blob_path(self.manifest_descriptor.digest)

    @property
    def config_path(self) -> str:
        return self.layout.blob_path(self.config_descriptor.digest)

    def diff_ids(self) -> list[str]:
        rootfs = self.config.get("rootfs")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        if not isinstance(diff_ids, list):
            raise UserError(f"{self.layout.what} config {self.config_path} has no rootfs.diff_ids list")
        for i, d in enumerate(diff_ids):
            check_digest(d, f"{self.layout.what} config {self.config_path} rootfs.diff_ids[{i}]")
        if len(diff_ids) != len(self.layers):
            raise UserError(
                f"{self.layout.what} config {self.config_path} lists {len(diff_ids)} diff_ids but manifest "
                f"{self.manifest_path} has {len(self.layers)} layers"
            )
        return list(diff_ids)


def _pick(layout: Layout, descriptors: list[Descriptor], where: str, os_name: str, arch: str,
          tag: str | None, depth: int) -> Descriptor:
    if tag is not None:
        tagged = [d for d in descriptors if d.annotations.get(REF_NAME_ANNOTATION) == tag]
        if not tagged:
            known = sorted({d.annotations[REF_NAME_ANNOTATION] for d in descriptors if REF_NAME_ANNOTATION in d.annotations})
            raise UserError(f"{where} has no manifest tagged {tag!r} (tags: {', '.join(known) or 'none'})")
        descriptors = tagged
    if not descriptors:
        raise UserError(f"{where} lists no manifests")
    if len(descriptors) == 1:
        chosen = descriptors[0]
    else:
        matching = [
            d for d in descriptors
            if d.platform and d.platform.get("os") == os_name and d.platform.get("architecture") == arch
        ]
        if len(matching) != 1:
            available = ", ".join(d.platform_name() for d in descriptors)
            how_many = "no manifest" if not matching else f"{len(matching)} manifests"
            raise UserError(f"{where} has {how_many} for {os_name}/{arch} (it has: {available})")
        chosen = matching[0]
    if chosen.media_type in MANIFEST_MEDIA_TYPES:
        return chosen
    if chosen.media_type in INDEX_MEDIA_TYPES:
        if depth >= _MAX_INDEX_DEPTH:
            raise UserError(f"{where}: image indexes nest more than {_MAX_INDEX_DEPTH} deep")
        nested = layout.read_json_blob(chosen, where)
        nested_where = f"{layout.what} image index {layout.blob_path(chosen.digest)}"
        children = parse_descriptors(nested.get("manifests"), f"{nested_where} manifests")
        return _pick(layout, children, nested_where, os_name, arch, None, depth + 1)
    raise UserError(
        f"{where}: unsupported mediaType {chosen.media_type!r} for manifest {chosen.digest} "
        f"(supported: {', '.join(MANIFEST_MEDIA_TYPES + INDEX_MEDIA_TYPES)})"
    )


def resolve_image(layout: Layout, os_name: str = "linux", arch: str = "amd64", tag: str | None = None) -> Image:
    """Finds the image in `layout`: the tagged one, the only one, or the os/arch one of an index."""
    where = f"{layout.what} index {layout.index_path}"
    desc = _pick(layout, layout.read_index(), where, os_name, arch, tag, 0)
    manifest = layout.read_json_blob(desc, where)
    manifest_path = layout.blob_path(desc.digest)
    mwhere = f"{layout.what} manifest {manifest_path}"
    declared = manifest.get("mediaType", desc.media_type)
    if declared != desc.media_type:
        raise UserError(f"{mwhere} declares mediaType {declared!r} but its descriptor says {desc.media_type!r}")
    config_desc, layers = manifest_parts(manifest, mwhere)
    if config_desc.media_type not in CONFIG_MEDIA_TYPES:
        raise UserError(
            f"{mwhere}: unsupported config mediaType {config_desc.media_type!r} "
            f"(supported: {', '.join(CONFIG_MEDIA_TYPES)})"
        )
    for i, layer in enumerate(layers):
        if layer.media_type not in LAYER_MEDIA_TYPE_TO_OCI:
            raise UserError(
                f"{mwhere}: layers[{i}] has unsupported mediaType {layer.media_type!r} "
                f"(supported: {', '.join(LAYER_MEDIA_TYPE_TO_OCI)})"
            )
    config = layout.read_json_blob(config_desc, mwhere)
    return Image(layout, desc, manifest, config_desc, config, layers)
