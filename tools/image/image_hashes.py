"""image_hashes: writes the release manifest, {image name: "sha256:<hex>"}, from `.digest` files.

    image_hashes --image NAME=DIGEST_FILE [--image ...] --output hashes.json

The output is sorted, indented JSON with a trailing newline: a file people read and commit.
"""

from __future__ import annotations

import json
import re
from typing import Sequence

from absl import app, flags

from tools.common import atomic
from tools.common.errors import UserError, run_cli

_IMAGES = flags.DEFINE_multi_string("image", [], "NAME=DIGEST_FILE, repeatable.")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the JSON manifest.")

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


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
                digest = f.read().strip()
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read digest file {path}: {e}") from None
        if not _DIGEST.fullmatch(digest):
            raise UserError(f"{path}: {digest[:80]!r} is not a sha256:<64 hex> digest")
        hashes[name] = digest
    return hashes


def _main(argv: Sequence[str]) -> int:
    if len(argv) > 1:
        raise UserError(f"unexpected arguments {' '.join(argv[1:])!r}")
    if not _OUTPUT.value:
        raise UserError("--output is required")
    hashes = read_hashes(_IMAGES.value)
    with atomic.atomic_text_output(_OUTPUT.value) as f:
        f.write(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    return 0


def main() -> None:
    app.run(lambda argv: run_cli("image_hashes", _main, argv))


if __name__ == "__main__":
    main()
