"""CLI: an image's loadable tarball (docker-archive, with the OCI layout inside).

    image_tarball.py --layout DIR [--tag T] --repo_tag NAME:TAG [--repo_tag ...] --output IMAGE.tar

Run by the `<image>_tarball` targets; `bazel run` of one loads it (rules/private/image_tarball.bzl).
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Sequence

from absl import flags

from tools.common import atomic, oci
from tools.common.errors import UserError, run_cli
from tools.image import docker_archive

TOOL = "image_tarball"

_LAYOUT = flags.DEFINE_string("layout", None, "The image: an OCI layout directory.")
_TAG = flags.DEFINE_string("tag", None, "The layout's ref name to pick (default: its only image).")
_REPO_TAG = flags.DEFINE_multi_string("repo_tag", [], "NAME:TAG the loaded image gets (repeatable).")
_OUTPUT = flags.DEFINE_string("output", None, "The tarball to write.")


def main(argv: Sequence[str]) -> int:
    if not _LAYOUT.value or not _OUTPUT.value:
        raise UserError("--layout and --output are required")
    image = oci.resolve_image(oci.Layout.open(_LAYOUT.value, "image"), tag=_TAG.value)
    image.diff_ids()  # docker load checks the layers against them: refuse a config that lacks them
    with atomic.atomic_binary_output(_OUTPUT.value) as out:
        docker_archive.write(image, _REPO_TAG.value, out)
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
