"""Reading the layer contents manifests the layer rules write (rules/private/layer_contents.bzl).

A manifest lists what a layer holds and where the evidence for each item is (a .deb and its
lock, a jar and its lock entry, a dist-info METADATA, a deb tree's packages record). Paths in it
are relative to the action's working directory (Bazel's execroot); image paths have no leading
slash, as in the layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tools.common import oci
from tools.common.errors import UserError
from tools.common.json_file import load_json

FORMAT = "reproimage layer contents"
VERSION = 1
KINDS = ("deb", "deb_tree", "boot_jar", "file", "dist_info", "binary", "tar", "tree")


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of an image: its position, descriptor, and what its manifest says it holds."""

    index: int
    digest: str
    diff_id: str
    items: tuple[dict[str, Any], ...] | None  # None: no rule described this layer


def read_manifest(path: str) -> list[dict[str, Any]]:
    """The items of one contents manifest."""
    value = load_json(path, "layer contents manifest")
    if not isinstance(value, dict) or value.get("format") != FORMAT or value.get("version") != VERSION:
        raise UserError(f"{path} is not a {FORMAT} manifest (version {VERSION}); rebuild it with the layer rules")
    items = value.get("items")
    if not isinstance(items, list):
        raise UserError(f"{path}: \"items\" must be a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            raise UserError(f"{path}: items[{i}] has no known kind (one of {', '.join(KINDS)})")
    return items


def image_layers(layout: str, described: list[tuple[str, str]]) -> tuple[oci.Image, list[Layer]]:
    """The image in `layout` and its layers, each with the items of the manifest whose layer
    descriptor (a `descriptor=manifest` pair of `described`) has its digest."""
    image = oci.resolve_image(oci.Layout.open(layout, "image"))
    by_digest: dict[str, list[dict[str, Any]]] = {}
    for descriptor_path, manifest_path in described:
        descriptor = load_json(descriptor_path, "layer descriptor")
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("digest"), str):
            raise UserError(f"layer descriptor {descriptor_path} has no digest")
        by_digest.setdefault(descriptor["digest"], []).extend(read_manifest(manifest_path))
    diff_ids = image.diff_ids()
    layers = []
    for index, layer in enumerate(image.layers):
        items = by_digest.get(layer.digest)
        layers.append(Layer(index, layer.digest, diff_ids[index], None if items is None else tuple(items)))
    return image, layers
