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
from tools.image.json_diff import diff_json

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
        with layer_diff.open_tar_stream(image.layout.blob_path(layer.digest)) as tf:
            for entry in layer_diff.iter_entries(tf):
                out.write(_entry_line(entry) + "\n")
    return image.manifest_descriptor.digest


@dataclasses.dataclass
class _Layer:
    digest: str
    diff_id: str
    media_type: str
    entries: list[layer_diff.EntryMeta]


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
                result.layers.append(_Layer(item["digest"], item["diffID"], item["mediaType"], []))
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
    result = explain_mod.Explanation(
        ref_a=f"{description_path} (expected)",
        ref_b=f"{layout} (built)",
        manifest_digest_a=expected.manifest,
        manifest_digest_b=image.manifest_descriptor.digest,
        config_digest_a=expected.config_digest,
        config_digest_b=image.config_descriptor.digest,
        layer_count_a=len(expected.layers),
        layer_count_b=len(image.layers),
    )
    if result.identical:
        return result
    if result.config_differs:
        result.config_diffs = list(diff_json(expected.config, image.config))
    diff_ids = image.diff_ids()
    differing = [
        i for i in range(max(len(expected.layers), len(image.layers)))
        if i >= len(expected.layers) or i >= len(image.layers) or expected.layers[i].digest != image.layers[i].digest
    ]
    if differing:
        i = differing[0]
        a = expected.layers[i] if i < len(expected.layers) else None
        b = image.layers[i] if i < len(image.layers) else None
        finding = explain_mod.LayerFinding(
            index=i,
            digest_a=a.digest if a else None,
            digest_b=b.digest if b else None,
            diff_id_a=a.diff_id if a else None,
            diff_id_b=diff_ids[i] if b else None,
            media_type_a=a.media_type if a else None,
            media_type_b=b.media_type if b else None,
        )
        if a is None or b is None:
            finding.note = f"present only in {'A (expected)' if a else 'B (built)'}"
        elif finding.diff_id_a == finding.diff_id_b:
            finding.note = "same diff_id: the uncompressed tars are identical, only the compression differs"
        else:
            finding.comparison = _compare(a.entries, image.layout.blob_path(b.digest))
        result.first_layer = finding
        result.further_differing_layers = len(differing) - 1
    return result


def _compare(expected: list[layer_diff.EntryMeta], blob: str) -> layer_diff.LayerComparison:
    try:
        with layer_diff.open_tar_stream(blob) as tf:
            return layer_diff.compare_entry_streams(iter(expected), layer_diff.iter_entries(tf))
    except UserError as e:  # a compression this Python cannot read (zstd without zstandard)
        return layer_diff.LayerComparison(note=f"cannot look inside the built layer: {e}")

