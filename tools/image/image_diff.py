"""CLI: explain why two OCI images differ. Usage: image_diff.py LAYOUT_A[:tag] LAYOUT_B[:tag]

Exit status 0 and "identical: sha256:..." when the manifest digests are equal; otherwise the
explanation (README.md) and exit status 1. Bad input is also status 1, with one line on stderr.
"""

from __future__ import annotations

import json
import os
import sys

if __package__ in (None, ""):
    # Run as a script: make the repository root importable, as Bazel does.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Sequence

from absl import flags

from tools.common.errors import UserError, run_cli
from tools.image.explain import explain

TOOL = "image_diff"

_OS = flags.DEFINE_string("os", "linux", "Platform OS to pick from an image index.")
_ARCHITECTURE = flags.DEFINE_string("architecture", "amd64", "Platform architecture to pick from an image index.")
_JSON = flags.DEFINE_bool("json", False, "Print the explanation as JSON (README.md: its format).")


def main(argv: Sequence[str]) -> int:
    if len(argv) != 3:
        raise UserError("expected two images: image_diff.py IMAGE_A IMAGE_B (each DIR[:tag], FILE.tar or a registry reference)")
    # Under `bazel run`, paths on the command line are relative to where the user stands.
    os.chdir(os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    explanation = explain(argv[1], argv[2], _OS.value, _ARCHITECTURE.value)
    if _JSON.value:
        print(json.dumps(explanation.to_json(), indent=1, sort_keys=True))
    else:
        print(explanation.render())
    return 0 if explanation.identical else 1


if __name__ == "__main__":
    run_cli(TOOL, main, positional=True)
