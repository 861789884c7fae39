"""CLI: the SPDX 2.3 SBOM of an image, from its layout and its layers' contents manifests.

    sbom.py --layout DIR --name NAME --layer DESCRIPTOR=CONTENTS ... [--wheel WHL ...]
            [--pip_lock LABEL=PATH ...] --output SBOM.spdx.json [--locks_output LOCKS.json]

Run by the `<image>_sbom` targets (rules/private/image_sbom.bzl); see tools/evidence/README.md.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Sequence

from absl import flags

from tools.common import atomic, canonical_json
from tools.common.errors import UserError, run_cli
from tools.evidence import components, contents, spdx

TOOL = "sbom"

_LAYOUT = flags.DEFINE_string("layout", None, "The image: an OCI layout directory.")
_NAME = flags.DEFINE_string("name", None, "The image's name (the SBOM's root package).")
_LAYER = flags.DEFINE_multi_string("layer", [], "DESCRIPTOR=CONTENTS: a layer descriptor and its contents manifest.")
_WHEEL = flags.DEFINE_multi_string("wheel", [], "A .whl file an installed dist-info may come from.")
_PIP_LOCK = flags.DEFINE_multi_string("pip_lock", [], "LABEL=PATH: a requirements lock listing wheel hashes.")
_OUTPUT = flags.DEFINE_string("output", None, "The SPDX JSON document to write.")
_LOCKS_OUTPUT = flags.DEFINE_string("locks_output", None, "Also write the locks the contents came from (JSON).")


def _pairs(values: Sequence[str], flag: str) -> list[tuple[str, str]]:
    result = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            raise UserError(f"--{flag} {value!r}: expected A=B")
        result.append((left, right))
    return result


def main(argv: Sequence[str]) -> int:
    for flag in (_LAYOUT, _NAME, _OUTPUT):
        if not flag.value:
            raise UserError(f"--{flag.name} is required")
    image, layers = contents.image_layers(_LAYOUT.value, _pairs(_LAYER.value, "layer"))
    inventory = components.resolve(layers, _WHEEL.value, _pairs(_PIP_LOCK.value, "pip_lock"))
    doc = spdx.document(_NAME.value, image, layers, inventory, os.environ.get("SOURCE_DATE_EPOCH"))
    if _LOCKS_OUTPUT.value:
        atomic.check_replaceable(_LOCKS_OUTPUT.value)
    with atomic.atomic_binary_output(_OUTPUT.value) as out:
        out.write(canonical_json.dumps_readable(doc))
    if _LOCKS_OUTPUT.value:
        with atomic.atomic_binary_output(_LOCKS_OUTPUT.value) as out:
            out.write(components.locks_json(inventory))
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
