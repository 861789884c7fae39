"""Explains why two OCI images differ, from the top: manifest, config, first differing layer.

`explain(a, b)` returns an Explanation (structured findings plus `render()`); the
reproducibility tests call it to turn "digests differ" into "layer 2, usr/bin/app, mtime".
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable

from tools.common import oci
from tools.common.errors import UserError
from tools.layer import decompress
from tools.image import archive_diff, layer_diff
from tools.image.json_diff import ValueDiff, diff_json

_MAX_CONFIG_LINES = 20


@dataclasses.dataclass(frozen=True)
class ImageRef:
    layout: str
    tag: str | None
    display: str | None = None  # how to name it when the layout is a temporary copy (a tarball's)

    def __str__(self) -> str:
        if self.display is not None:
            return self.display
        return self.layout if self.tag is None else f"{self.layout}:{self.tag}"


def parse_reference(text: str) -> ImageRef:
    """`DIR` or `DIR:tag`. Tags may contain ':' (`example.com/app:1.0`), so the directory is
    the shortest prefix before a ':' that is one; a whole `text` that is a directory wins."""
    if os.path.isdir(text):
        return ImageRef(text, None)
    for i, char in enumerate(text):
        if char == ":" and 0 < i < len(text) - 1 and os.path.isdir(text[:i]):
            return ImageRef(text[:i], text[i + 1:])
    raise UserError(f"{text} is not an OCI image layout directory (nor DIR:tag of one)")


@dataclasses.dataclass
class LayerFinding:
    """The first layer position where the two manifests disagree."""

    index: int
    digest_a: str | None  # None: the image has no layer at this index
    digest_b: str | None
    diff_id_a: str | None
    diff_id_b: str | None
    media_type_a: str | None = None
    media_type_b: str | None = None
    comparison: layer_diff.LayerComparison | None = None
    compression_diffs: list[ValueDiff] = dataclasses.field(default_factory=list)
    note: str | None = None
    causes: list[str] = dataclasses.field(default_factory=list)  # known causes, where recognisable
    inner: archive_diff.InnerFinding | None = None  # inside the first differing entry's file

    def to_json(self) -> dict[str, Any]:
        c = self.comparison
        first = None
        if c is not None and c.first is not None:
            first = {"path": c.first.path, "only_in": c.first.only_in,
                     "fields": [{"field": f.field, "a": f.a, "b": f.b} for f in c.first.fields]}
        return {
            "index": self.index, "digest": [self.digest_a, self.digest_b], "diff_id": [self.diff_id_a, self.diff_id_b],
            "media_type": [self.media_type_a, self.media_type_b],
            "compression_diffs": [d.to_json() for d in self.compression_diffs], "note": self.note,
            "first_entry": first,
            "differing_entries": c.differing_entries if c else 0,
            "compared_by_path": c.compared_by_path if c else False,
            "comparison_note": c.note if c else None,
            "causes": self.causes, "inner": self.inner.to_json() if self.inner else None,
        }

    def render_lines(self) -> list[str]:
        lines = [f"layer {self.index}: first differing layer"]
        if self.digest_a == self.digest_b:
            lines.append(f"  digest:  {self.digest_a} (same)")
        else:
            lines.append(f"  digest:  {self.digest_a or '<absent>'} != {self.digest_b or '<absent>'}")
        if self.diff_id_a == self.diff_id_b:
            lines.append(f"  diff_id: {self.diff_id_a} (same)")
        else:
            lines.append(f"  diff_id: {self.diff_id_a or '<absent>'} != {self.diff_id_b or '<absent>'}")
        if self.media_type_a != self.media_type_b and self.digest_a and self.digest_b and self.digest_a != self.digest_b:
            lines.append(f"  mediaType: {self.media_type_a} != {self.media_type_b}")
        for diff in self.compression_diffs:
            lines.append("  " + diff.render())
        if self.note:
            lines.append("  " + self.note)
        c = self.comparison
        if c is not None:
            if c.note:
                lines.append("  " + c.note)
            elif c.first is not None:
                entry = c.first.render_lines()
                lines.append(f"  first differing entry (in path order): {entry[0]}")
                lines.extend("  " + line for line in entry[1:])
                if self.inner is not None:
                    lines.extend("    " + line for line in self.inner.render_lines())
                if c.differing_entries > 1:
                    n = c.differing_entries - 1
                    lines.append(f"  {n} further differing entr{'y' if n == 1 else 'ies'} in layer {self.index}")
            elif c.compared_by_path:
                lines.append("  every entry is equal, but the tars list them in a different order")
            else:
                lines.append("  every entry is equal in metadata and content; the tar bytes differ in "
                             "header encoding, padding or end-of-archive blocks")
        if self.causes:
            lines.append("  cause: " + ", ".join(self.causes))
        return lines


@dataclasses.dataclass
class Explanation:
    ref_a: str
    ref_b: str
    manifest_digest_a: str
    manifest_digest_b: str
    config_digest_a: str = ""
    config_digest_b: str = ""
    manifest_diffs: list[ValueDiff] = dataclasses.field(default_factory=list)  # besides config and layers
    config_diffs: list[ValueDiff] = dataclasses.field(default_factory=list)
    layer_count_a: int = 0
    layer_count_b: int = 0
    first_layer: LayerFinding | None = None
    further_differing_layers: int = 0

    @property
    def identical(self) -> bool:
        return self.manifest_digest_a == self.manifest_digest_b

    @property
    def config_differs(self) -> bool:
        return self.config_digest_a != self.config_digest_b

    def render(self) -> str:
        if self.identical:
            return f"identical: {self.manifest_digest_a}"
        lines = [
            f"different: {self.manifest_digest_a} != {self.manifest_digest_b}",
            f"  A: {self.ref_a}",
            f"  B: {self.ref_b}",
            "manifest: differs",
        ]
        lines.extend("  " + d.render() for d in self.manifest_diffs)
        if self.config_differs:
            lines.append(f"config: differs: {self.config_digest_a} != {self.config_digest_b}")
            lines.extend("  " + d.render() for d in self.config_diffs[:_MAX_CONFIG_LINES])
            if len(self.config_diffs) > _MAX_CONFIG_LINES:
                lines.append(f"  ... and {len(self.config_diffs) - _MAX_CONFIG_LINES} more config differences")
        else:
            lines.append("config: same")
        if self.first_layer is None:
            lines.append(f"layers: all {self.layer_count_a} identical")
        else:
            if self.layer_count_a != self.layer_count_b:
                lines.append(f"layers: {self.layer_count_a} in A, {self.layer_count_b} in B")
            lines.extend(self.first_layer.render_lines())
            n = self.further_differing_layers
            if n:
                lines.append(f"{n} further differing layer{'s' if n != 1 else ''} after layer {self.first_layer.index}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The explanation as JSON (documented in tools/image/README.md)."""
        return {
            "format": "reproimage image explanation", "version": 1,
            "identical": self.identical,
            "a": {"ref": self.ref_a, "manifest": self.manifest_digest_a, "config": self.config_digest_a,
                  "layers": self.layer_count_a},
            "b": {"ref": self.ref_b, "manifest": self.manifest_digest_b, "config": self.config_digest_b,
                  "layers": self.layer_count_b},
            "manifest_diffs": [d.to_json() for d in self.manifest_diffs],
            "config_diffs": [d.to_json() for d in self.config_diffs],
            "first_layer": self.first_layer.to_json() if self.first_layer else None,
            "further_differing_layers": self.further_differing_layers,
        }


def _load(ref: ImageRef, what: str, os_name: str, arch: str) -> oci.Image:
    return oci.resolve_image(oci.Layout.open(ref.layout, what), os_name, arch, ref.tag)


@dataclasses.dataclass(frozen=True)
class LayerRef:
    """One layer position of one side: its descriptor as the manifest (or a description) has it."""

    descriptor: dict[str, Any]
    diff_id: str | None  # None when the config does not say

    @property
    def digest(self) -> str:
        return self.descriptor["digest"]

    @property
    def media_type(self) -> str:
        return self.descriptor["mediaType"]


@dataclasses.dataclass(frozen=True)
class Side:
    """What is known of one image, from its layout or from a committed description."""

    ref: str  # names it in the explanation's header
    label: str  # names it in findings: "A", "B (built)"
    manifest_digest: str
    config_digest: str
    config: dict[str, Any]
    layers: list[LayerRef]


def side_of(image: oci.Image, ref: str, label: str, descriptor_keys: tuple[str, ...] | None = None) -> Side:
    """The Side of an image read from a layout; `descriptor_keys` limits what of each layer
    descriptor is compared (a description records only some of it)."""
    rootfs = image.config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    layers = []
    for i, layer in enumerate(image.layers):
        descriptor = layer.to_json()
        if descriptor_keys is not None:
            descriptor = {k: v for k, v in descriptor.items() if k in descriptor_keys}
        diff_id = diff_ids[i] if isinstance(diff_ids, list) and i < len(diff_ids) else None
        layers.append(LayerRef(descriptor, diff_id))
    return Side(ref, label, image.manifest_descriptor.digest, image.config_descriptor.digest, image.config, layers)


def _at(items: list[Any], i: int) -> Any:
    return items[i] if i < len(items) else None


def compare_sides(a: Side, b: Side, compare_layer: Callable[[int], layer_diff.LayerComparison],
                  compression_diffs: Callable[[int], list[ValueDiff]] = lambda i: []) -> Explanation:
    """The explanation of how `b` differs from `a`: config, then the first differing layer.

    `compare_layer(i)` compares the contents of layer i of both sides (called only when their
    blobs and diff_ids differ); `compression_diffs(i)` lists what differs in how they are
    compressed, where both blobs are at hand.
    """
    result = Explanation(a.ref, b.ref, a.manifest_digest, b.manifest_digest, a.config_digest, b.config_digest,
                         layer_count_a=len(a.layers), layer_count_b=len(b.layers))
    if result.identical:
        return result
    if result.config_differs:
        result.config_diffs = list(diff_json(a.config, b.config))
    differing = [
        i for i in range(max(len(a.layers), len(b.layers)))
        if getattr(_at(a.layers, i), "descriptor", None) != getattr(_at(b.layers, i), "descriptor", None)
    ]
    if not differing:
        return result
    i = differing[0]
    la, lb = _at(a.layers, i), _at(b.layers, i)
    finding = LayerFinding(
        index=i,
        digest_a=la.digest if la else None,
        digest_b=lb.digest if lb else None,
        diff_id_a=la.diff_id if la else None,
        diff_id_b=lb.diff_id if lb else None,
        media_type_a=la.media_type if la else None,
        media_type_b=lb.media_type if lb else None,
    )
    if la is None or lb is None:
        finding.note = f"present only in {a.label if la else b.label}"
    elif la.digest == lb.digest:
        finding.note = "same blob; only the manifest's descriptors of it differ: " + "; ".join(
            d.render() for d in diff_json(la.descriptor, lb.descriptor))
    else:
        finding.compression_diffs = compression_diffs(i)
        if la.diff_id is not None and la.diff_id == lb.diff_id:
            finding.note = "same diff_id: the uncompressed tars are identical, only the compression differs"
        else:
            finding.comparison = compare_layer(i)
    result.first_layer = finding
    result.further_differing_layers = len(differing) - 1
    return result


def _compression_diffs(path_a: str, path_b: str) -> list[ValueDiff]:
    try:
        head_a, head_b = layer_diff.gzip_header(path_a), layer_diff.gzip_header(path_b)
    except OSError:
        return []
    if head_a is None or head_b is None:
        return []
    return list(diff_json(head_a, head_b, "gzip header"))


def _tar_causes(finding: LayerFinding) -> list[str]:
    causes = []
    c = finding.comparison
    names = {f.field for f in c.first.fields} if c is not None and c.first is not None else set()
    if "mtime" in names:
        causes.append("timestamp")
    if names & {"uid", "gid", "uname", "gname"}:
        causes.append("uid/gid")
    if "mode" in names:
        causes.append("mode")
    if c is not None and c.compared_by_path and c.first is None:
        causes.append("order")
    if finding.compression_diffs or (finding.diff_id_a and finding.diff_id_a == finding.diff_id_b):
        causes.append("compressor")
    return causes


def explain(layout_a: str, layout_b: str, os_name: str = "linux", architecture: str = "amd64",
            deep: bool = True) -> Explanation:
    """Compares two images: OCI layouts (`DIR`, `DIR:tag`; an index picks os/architecture),
    image tarballs, or registry references (image_source). With `deep`, follows the first
    differing entry into the file (archive_diff)."""
    from tools.image import image_source  # it imports this module

    with image_source.opened(layout_a) as ref_a, image_source.opened(layout_b) as ref_b:
        return _explain(ref_a, ref_b, os_name, architecture, deep)


def _entry_bytes(blob: str, path: str) -> bytes | None:
    """The content of the regular file `path` in a layer blob."""
    with open(blob, "rb") as raw, decompress.open_tar_stream(raw, f"layer blob {blob}") as tf:
        while (member := tf.next()) is not None:
            tf.members.clear()
            if member.name == path and member.isreg():
                stream = tf.extractfile(member)
                return stream.read() if stream else None
    return None


def _explain(ref_a: ImageRef, ref_b: ImageRef, os_name: str, architecture: str, deep: bool) -> Explanation:
    image_a = _load(ref_a, "image A", os_name, architecture)
    image_b = _load(ref_b, "image B", os_name, architecture)

    def blobs(i: int) -> tuple[str, str]:
        return image_a.layout.blob_path(image_a.layers[i].digest), image_b.layout.blob_path(image_b.layers[i].digest)

    result = compare_sides(side_of(image_a, str(ref_a), "A"), side_of(image_b, str(ref_b), "B"),
                           compare_layer=lambda i: layer_diff.compare_layer_blobs(*blobs(i)),
                           compression_diffs=lambda i: _compression_diffs(*blobs(i)))
    if result.identical:
        return result
    finding = result.first_layer
    if finding is not None:
        finding.causes = _tar_causes(finding)
        first = finding.comparison.first if finding.comparison else None
        if deep and first is not None and first.only_in is None and any(f.field == "content" for f in first.fields):
            blob_a, blob_b = blobs(finding.index)
            data_a, data_b = _entry_bytes(blob_a, first.path), _entry_bytes(blob_b, first.path)
            if data_a is not None and data_b is not None:
                finding.inner = archive_diff.compare(first.path, data_a, data_b)
    rest_a = {k: v for k, v in image_a.manifest.items() if k not in ("config", "layers")}
    rest_b = {k: v for k, v in image_b.manifest.items() if k not in ("config", "layers")}
    result.manifest_diffs = list(diff_json(rest_a, rest_b))
    if image_a.config_descriptor.media_type != image_b.config_descriptor.media_type:
        result.manifest_diffs.append(ValueDiff("config.mediaType", image_a.config_descriptor.media_type,
                                               image_b.config_descriptor.media_type))
    return result
