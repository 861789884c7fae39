"""CLI: assemble an OCI image layout. See tools/image/README.md for flags and formats."""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    # Run as a script (`python3 tools/image/image_assembler.py`): make the repository root
    # importable so the absolute `tools.` imports work as they do under Bazel.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Sequence

from absl import flags

from tools.common.errors import UserError, run_cli
from tools.image import assembler
from tools.image.spec import ImageSpec, LayerInput, load_config_spec, parse_json_string_list, parse_key_value

TOOL = "image_assembler"

_CONFIG_SPEC = flags.DEFINE_string("config_spec", None, "JSON file describing the image (README.md); flags given too override it, repeated flags add to it.")
_BASE = flags.DEFINE_string("base", None, "Base image: an OCI image layout directory.")
_LAYER = flags.DEFINE_multi_string("layer", [], "BLOB=DESCRIPTOR of a layer; repeat in layer order.")
_ENTRYPOINT = flags.DEFINE_string("entrypoint", None, "JSON list, e.g. '[\"/app/run\"]'; '[]' clears the base's. Setting it without --cmd clears the base's Cmd.")
_CMD = flags.DEFINE_string("cmd", None, "JSON list; '[]' clears the base's.")
_ENV = flags.DEFINE_multi_string("env", [], "KEY=VALUE, merged over the base's Env by key.")
_LABEL = flags.DEFINE_multi_string("label", [], "KEY=VALUE, merged over the base's labels.")
_ANNOTATION = flags.DEFINE_multi_string("annotation", [], "KEY=VALUE manifest annotation.")
_USER = flags.DEFINE_string("user", None, "config.User; '' clears the base's.")
_WORKDIR = flags.DEFINE_string("workdir", None, "config.WorkingDir; '' clears the base's.")
_EXPOSED_PORT = flags.DEFINE_multi_string("exposed_port", [], "PORT[/PROTOCOL], protocol defaults to tcp.")
_OS = flags.DEFINE_string("os", None, "Image OS (default linux); must match the base.")
_ARCHITECTURE = flags.DEFINE_string("architecture", None, "Image architecture (default amd64); must match the base.")
_CREATED = flags.DEFINE_string("created", None, "RFC 3339 creation time (default 1970-01-01T00:00:00Z).")
_TAG = flags.DEFINE_string("tag", None, "org.opencontainers.image.ref.name of the image in index.json (default latest).")
_OUTPUT = flags.DEFINE_string("output", None, "Output OCI layout directory (replaced atomically).")
_DIGEST = flags.DEFINE_string("digest", None, "Output file: sha256:<hex> of the manifest, no newline.")
_CONFIG_OUTPUT = flags.DEFINE_string("config_output", None, "Output file: the config JSON blob.")
_MANIFEST_OUTPUT = flags.DEFINE_string("manifest_output", None, "Output file: the manifest JSON blob.")
_VERIFY_DIGESTS = flags.DEFINE_bool("verify_digests", False, "Also hash every layer blob and compare with its digest (slow for big images).")


def spec_from_flags() -> ImageSpec:
    spec = load_config_spec(_CONFIG_SPEC.value) if _CONFIG_SPEC.value else ImageSpec()
    for text in _LAYER.value:
        blob, sep, descriptor = text.partition("=")
        if not sep or not blob or not descriptor:
            raise UserError(f"--layer {text!r} must be BLOB=DESCRIPTOR")
        spec.layers.append(LayerInput(blob, descriptor))
    if _ENTRYPOINT.value is not None:
        spec.entrypoint = parse_json_string_list(_ENTRYPOINT.value, "entrypoint")
    if _CMD.value is not None:
        spec.cmd = parse_json_string_list(_CMD.value, "cmd")
    spec.env.extend(_ENV.value)
    spec.labels.update(parse_key_value(t, "label") for t in _LABEL.value)
    spec.annotations.update(parse_key_value(t, "annotation") for t in _ANNOTATION.value)
    spec.exposed_ports.extend(_EXPOSED_PORT.value)
    for name, flag in (("base", _BASE), ("user", _USER), ("workdir", _WORKDIR), ("os", _OS),
                       ("architecture", _ARCHITECTURE), ("created", _CREATED), ("tag", _TAG)):
        if flag.value is not None:
            setattr(spec, name, flag.value)
    spec.validate("flags" if not _CONFIG_SPEC.value else f"flags and config spec {_CONFIG_SPEC.value}")
    return spec


def main(argv: Sequence[str]) -> int:
    if not _OUTPUT.value:
        raise UserError("--output DIR is required")
    assembler.assemble(
        spec_from_flags(),
        _OUTPUT.value,
        digest_file=_DIGEST.value,
        config_output=_CONFIG_OUTPUT.value,
        manifest_output=_MANIFEST_OUTPUT.value,
        verify_digests=_VERIFY_DIGESTS.value,
    )
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
