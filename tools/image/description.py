"""An image's description: what a committed expectation holds so a mismatch can be explained.

A digest says *that* an image changed; to say *where* (which layer, which file, which field)
without keeping the old image around, the expectation records a description: the manifest
digest, the config, and per layer its descriptor and one line per tar entry (type, mode,
owners, mtime, size, link target, content sha256). JSON lines, one entry per line, so a change
also reads well in `git diff`.

`explain_against(description, layout)` compares a built image with a description, and renders
the same explanation as `image_diff` does for two layouts.
"""

from __future__ import annotations

import dataclasses
import json
from typing import IO

from tools.common import oci
from tools.common.errors import UserError
from tools.image import explain as explain_mod
from tools.image import layer_diff

FORMAT = "reproimage image description"
VERSION = 1


def _entry_line(entry: layer_diff.EntryMeta) -> str:
    return json.dumps(entry.to_row(), ensure_ascii=False, separators=(",", ":"))


def _entry_from(row: object, where: str) -> layer_diff.EntryMeta:
    try:
        return layer_diff.EntryMeta.from_row(row)
    except (TypeError, ValueError):
        raise UserError(f"{where}: not an entry line of a {FORMAT}; regenerate the description") from None


def write_description(layout: str, out: IO[str], tag: str | None = None) -> str:
    """Writes the description of the image in `layout`; returns its manifest digest."""
    image = oci.resolve_image(oci.Layout.open(layout, "image"), tag=tag)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "manifest": image.manifest_descriptor.digest,
        "config_digest": image.config_descriptor.digest,
        "config": image.config,
    }
    out.write(json.dumps(header, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")
    diff_ids = image.diff_ids()
    for index, layer in enumerate(image.layers):
        out.write(json.dumps({"layer": index, "digest": layer.digest, "diffID": diff_ids[index],
                              "mediaType": layer.media_type, "size": layer.size},
                             sort_keys=True, separators=(",", ":")) + "\n")
        with layer_diff.blob_entries(image.layout.blob_path(layer.digest)) as entries:
            for entry in entries:
                out.write(_entry_line(entry) + "\n")
    return image.manifest_descriptor.digest


@dataclasses.dataclass
class _Layer:
    descriptor: dict  # what a layer line records of the manifest's descriptor
    diff_id: str
    entries: list[layer_diff.EntryMeta]

    @property
    def digest(self) -> str:
        return self.descriptor["digest"]


# The layer descriptor fields a description records (and so the ones a comparison with it sees).
_DESCRIPTOR_KEYS = ("digest", "mediaType", "size")


@dataclasses.dataclass
class Description:
    path: str
    manifest: str
    config_digest: str
    config: dict
    layers: list[_Layer]


def read_description(path: str) -> Description:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UserError(f"cannot read image description {path}: {e.strerror}") from None
    try:
        header = json.loads(lines[0]) if lines else {}
    except ValueError:
        header = {}
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise UserError(f"{path}: not a {FORMAT} (version {VERSION}); regenerate it")
    try:
        result = Description(path, header["manifest"], header["config_digest"], header["config"], [])
    except KeyError as e:
        raise UserError(f"{path}:1: the header lacks {e.args[0]!r}; regenerate the description") from None
    for number, text in enumerate(lines[1:], 2):
        try:
            item = json.loads(text)
        except ValueError:
            raise UserError(f"{path}:{number}: not JSON") from None
        if isinstance(item, dict):
            try:
                descriptor = {key: item[key] for key in _DESCRIPTOR_KEYS}
                result.layers.append(_Layer(descriptor, item["diffID"], []))
            except KeyError as e:
                raise UserError(f"{path}:{number}: a layer line lacks {e.args[0]!r}") from None
        elif result.layers:
            result.layers[-1].entries.append(_entry_from(item, f"{path}:{number}"))
        else:
            raise UserError(f"{path}:{number}: an entry before any layer line")
    return result


def explain_against(description_path: str, layout: str, tag: str | None = None) -> explain_mod.Explanation:
    """Explains how the image in `layout` (B) differs from the described one (A)."""
    expected = read_description(description_path)
    image = oci.resolve_image(oci.Layout.open(layout, "built image"), tag=tag)
    a = explain_mod.Side(
        ref=f"{description_path} (expected)",
        label="A (expected)",
        manifest_digest=expected.manifest,
        config_digest=expected.config_digest,
        config=expected.config,
        layers=[explain_mod.LayerRef(layer.descriptor, layer.diff_id) for layer in expected.layers],
    )
    image.diff_ids()  # a built image must have a consistent config; say so rather than compare blindly
    b = explain_mod.side_of(image, f"{layout} (built)", "B (built)", _DESCRIPTOR_KEYS)
    return explain_mod.compare_sides(
        a, b, compare_layer=lambda i: _compare(expected.layers[i].entries, image.layout.blob_path(image.layers[i].digest)))


def _compare(expected: list[layer_diff.EntryMeta], blob: str) -> layer_diff.LayerComparison:
    try:
        with layer_diff.blob_entries(blob) as entries:
            return layer_diff.compare_entry_streams(iter(expected), entries)
    except UserError as e:  # a compression this Python cannot read (zstd without zstandard)
        return layer_diff.LayerComparison(note=f"cannot look inside the built layer: {e}")
