"""Assembles an OCI image layout from an optional base image, layer blobs and an ImageSpec.

Work is split in two: `plan` reads and checks every input and computes every JSON byte
without writing anything, then `write_layout` materialises the directory atomically. A bad
input therefore never leaves an output behind, and time spent is independent of layer sizes
(blobs are stat-ed and hard-linked, never read, unless `verify_digests` asks for it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from typing import Any

from tools.common import canonical_json, oci
from tools.common.atomic import atomic_binary_output, atomic_directory_output, check_replaceable
from tools.common.digest import check_digest, digest_hex, file_digest, sha256_digest
from tools.common.errors import UserError
from tools.common.json_file import load_json
from tools.image import blobs, launch_policy
from tools.image.config_builder import build_config
from tools.image.spec import ImageSpec, LayerInput

_LAYER_DESCRIPTOR_KEYS = {"mediaType", "digest", "size", "diffID"}
_LAYER_DESCRIPTOR_OPTIONAL = {"annotations"}


@dataclasses.dataclass(frozen=True)
class LayerBlob:
    """A layer to put into the image: where its bytes are and how the manifest describes it."""

    source: str  # symlink-free path of the blob
    descriptor: oci.Descriptor  # OCI media type
    diff_id: str
    origin: str  # names the layer in error messages


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything `write_layout` needs; computing it writes nothing."""

    config_bytes: bytes
    manifest_bytes: bytes
    index_bytes: bytes
    layers: list[LayerBlob]

    @property
    def config_digest(self) -> str:
        return sha256_digest(self.config_bytes)

    @property
    def manifest_digest(self) -> str:
        return sha256_digest(self.manifest_bytes)

    @property
    def config(self) -> dict[str, Any]:
        return json.loads(self.config_bytes)

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_bytes)


def read_layer_descriptor(path: str) -> tuple[oci.Descriptor, str]:
    """Parses a descriptor file written by the layer writer; returns (descriptor, diffID)."""
    where = f"layer descriptor {path}"
    data = load_json(path, "layer descriptor")
    if not isinstance(data, dict):
        raise UserError(f"{where} must be a JSON object")
    missing = sorted(_LAYER_DESCRIPTOR_KEYS - set(data))
    unknown = sorted(set(data) - _LAYER_DESCRIPTOR_KEYS - _LAYER_DESCRIPTOR_OPTIONAL)
    if missing or unknown:
        problem = f"lacks {', '.join(missing)}" if missing else f"has unknown field(s) {', '.join(unknown)}"
        raise UserError(f"{where} {problem}; expected {{mediaType, digest, size, diffID}}")
    desc = oci.parse_descriptor(data, where)
    if desc.media_type not in oci.OCI_LAYER_MEDIA_TYPES:
        raise UserError(
            f"{where}: mediaType {desc.media_type!r} is not a layer type "
            f"(supported: {', '.join(oci.OCI_LAYER_MEDIA_TYPES)})"
        )
    diff_id = check_digest(data["diffID"], where + " diffID")
    if desc.media_type == oci.LAYER_TAR and diff_id != desc.digest:
        raise UserError(f"{where}: an uncompressed layer's diffID must equal its digest ({desc.digest})")
    return desc, diff_id


def _read_layers(inputs: list[LayerInput]) -> list[LayerBlob]:
    layers = []
    for layer in inputs:
        desc, diff_id = read_layer_descriptor(layer.descriptor)
        real = oci.checked_blob(layer.blob, desc.size, "layer blob", f"its descriptor {layer.descriptor}",
                                "rebuild the layer so blob and descriptor match")
        layers.append(LayerBlob(real, desc, diff_id, f"layer blob {layer.blob}"))
    return layers


def _check_base_config(image: oci.Image, spec: ImageSpec) -> None:
    where = f"base image config {image.config_path}"
    config = image.config
    platform = f"{config.get('os')}/{config.get('architecture')}"
    if platform != f"{spec.os}/{spec.architecture}":
        raise UserError(
            f"{where} is for {platform} but the image is {spec.os}/{spec.architecture}; "
            "set --os/--architecture to match or use a base for that platform"
        )
    run = config.get("config")
    if run is not None and not isinstance(run, dict):
        raise UserError(f"{where}: \"config\" must be an object")
    run = run or {}
    for key, kind in (("Env", list), ("Labels", dict), ("ExposedPorts", dict)):
        if run.get(key) is not None and not isinstance(run[key], kind):
            raise UserError(f"{where}: config.{key} must be a JSON {kind.__name__}")
    if any(not isinstance(e, str) for e in run.get("Env") or []):
        raise UserError(f"{where}: config.Env must be a list of strings")
    history = config.get("history")
    if history is not None and (not isinstance(history, list) or not all(isinstance(h, dict) for h in history)):
        raise UserError(f"{where}: \"history\" must be a list of objects")


def _base_layers(image: oci.Image) -> list[LayerBlob]:
    diff_ids = image.diff_ids()
    layers = []
    for i, (desc, diff_id) in enumerate(zip(image.layers, diff_ids)):
        real = image.layout.stat_blob(desc, f"manifest {image.manifest_path} layers[{i}]")
        oci_desc = dataclasses.replace(desc, media_type=oci.LAYER_MEDIA_TYPE_TO_OCI[desc.media_type], platform=None)
        layers.append(LayerBlob(real, oci_desc, diff_id, f"base image blob {image.layout.blob_path(desc.digest)}"))
    return layers


def _verify_digests(layers: list[LayerBlob]) -> None:
    for layer in layers:
        actual = file_digest(layer.source)
        if actual != layer.descriptor.digest:
            raise UserError(f"{layer.origin} has digest {actual}, not {layer.descriptor.digest} as described")


def plan(spec: ImageSpec, verify_digests: bool = False) -> Plan:
    """Reads and checks all inputs and computes config, manifest and index bytes."""
    spec.validate("image spec")
    base_config = None
    base_layers: list[LayerBlob] = []
    if spec.base is not None:
        layout = oci.Layout.open(spec.base, "base image")
        image = oci.resolve_image(layout, spec.os, spec.architecture)
        _check_base_config(image, spec)
        base_config = image.config
        base_layers = _base_layers(image)
    own_layers = _read_layers(spec.layers)
    layers = base_layers + own_layers
    if verify_digests:
        _verify_digests(layers)

    config = build_config(spec, base_config, [b.diff_id for b in base_layers], [o.diff_id for o in own_layers])
    run = config.get("config") or {}
    issues = launch_policy.problems(run.get("Labels") or {}, run.get("Env") or [])
    if issues:
        raise UserError(issues[0] + (f" (and {len(issues) - 1} more launch policy problem(s))" if len(issues) > 1 else ""))
    config_bytes = canonical_json.dumps(config)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": oci.OCI_MANIFEST,
        "config": {"mediaType": oci.OCI_CONFIG, "digest": sha256_digest(config_bytes), "size": len(config_bytes)},
        "layers": [layer.descriptor.to_json() for layer in layers],
    }
    if spec.annotations:
        manifest["annotations"] = dict(spec.annotations)
    manifest_bytes = canonical_json.dumps(manifest)
    index = {
        "schemaVersion": 2,
        "mediaType": oci.OCI_INDEX,
        "manifests": [{
            "mediaType": oci.OCI_MANIFEST,
            "digest": sha256_digest(manifest_bytes),
            "size": len(manifest_bytes),
            "annotations": {oci.REF_NAME_ANNOTATION: spec.tag},
        }],
    }
    return Plan(config_bytes, manifest_bytes, canonical_json.dumps(index), layers)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
    # Explicit modes: the umask of whoever runs the tool must not show in the output.
    os.chmod(path, 0o644)


def write_layout(p: Plan, output: str) -> None:
    """Writes the layout directory atomically: all of it appears at `output`, or nothing does."""
    with atomic_directory_output(output) as tmp:
        blob_dir = os.path.join(tmp, "blobs", "sha256")
        os.makedirs(blob_dir)
        for d in (tmp, os.path.join(tmp, "blobs"), blob_dir):
            os.chmod(d, 0o755)
        _write_file(os.path.join(tmp, oci.OCI_LAYOUT_FILE), canonical_json.dumps({"imageLayoutVersion": oci.LAYOUT_VERSION}))
        _write_file(os.path.join(blob_dir, digest_hex(p.config_digest)), p.config_bytes)
        _write_file(os.path.join(blob_dir, digest_hex(p.manifest_digest)), p.manifest_bytes)
        for layer in p.layers:
            dst = os.path.join(blob_dir, digest_hex(layer.descriptor.digest))
            if not os.path.lexists(dst):  # the same layer may appear twice
                blobs.place_blob(layer.source, dst)
        _write_file(os.path.join(tmp, oci.INDEX_FILE), p.index_bytes)


def assemble(
    spec: ImageSpec,
    output: str,
    digest_file: str | None = None,
    config_output: str | None = None,
    manifest_output: str | None = None,
    verify_digests: bool = False,
) -> Plan:
    """Plans, then writes the layout and the optional side outputs; returns the plan.

    If a side output cannot be written the new layout is removed again, so a failed run
    leaves no output that looks finished.
    """
    p = plan(spec, verify_digests=verify_digests)
    for path in (digest_file, config_output, manifest_output):
        if path is not None:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            except OSError as e:
                raise UserError(f"cannot create the directory of output {path}: {e.strerror or e}") from None
            check_replaceable(path)  # before the layout is written, not after
    try:
        write_layout(p, output)
    except OSError as e:
        raise UserError(f"cannot write output directory {output}: {e.strerror or e}") from None
    for path, data in ((digest_file, p.manifest_digest.encode("ascii")),
                       (config_output, p.config_bytes),
                       (manifest_output, p.manifest_bytes)):
        if path is None:
            continue
        try:
            with atomic_binary_output(path) as f:
                f.write(data)
        except OSError as e:
            shutil.rmtree(output, ignore_errors=True)
            raise UserError(f"cannot write output {path}: {e.strerror or e}") from None
    return p
