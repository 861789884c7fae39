"""image_hashes: writes the release manifest, {image name: "sha256:<hex>"}, from `.digest` files.

    image_hashes --image NAME=DIGEST_FILE [--image ...] --output hashes.json

The output is sorted, indented JSON with a trailing newline: a file people read and commit.
"""

from __future__ import annotations

import json
from typing import Sequence

from absl import flags

from tools.common import atomic, digest
from tools.common.errors import UserError, run_cli

TOOL = "image_hashes"

_IMAGES = flags.DEFINE_multi_string("image", [], "NAME=DIGEST_FILE, repeatable.")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the JSON manifest.")


def read_hashes(pairs: Sequence[str]) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise UserError(f"--image {pair!r}: expected NAME=DIGEST_FILE")
        if name in hashes:
            raise UserError(f"image name {name!r} appears twice; each image needs its own name")
        try:
            with open(path, encoding="ascii") as f:
                value = f.read().strip()
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read digest file {path}: {e}") from None
        hashes[name] = digest.check_digest(value, f"digest file {path}")
    return hashes


def main(argv: Sequence[str]) -> int:
    if not _OUTPUT.value:
        raise UserError("--output is required")
    hashes = read_hashes(_IMAGES.value)
    with atomic.atomic_text_output(_OUTPUT.value) as f:
        f.write(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
