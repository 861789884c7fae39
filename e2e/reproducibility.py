"""Shared by the reproducibility test and the command that updates its expectations.

Images are named to the test by the environment variable REPRO_IMAGES, `name=layout;...`, which
the BUILD file fills from SERVICES (shuffler/services/services.bzl) with $(rootpath) so every service is covered.
"""

from __future__ import annotations

import os

from tools.common.errors import UserError
from tools.common.json_file import load_json

EXPECTED_HASHES = "e2e/expected_hashes.json"
EXPECTED_DIR = "e2e/expected"
RELEASE_MANIFEST = "image_hashes.json"
UPDATE_COMMAND = "./scripts/buildenv/run.sh bazel run //e2e:update_expected"


def images() -> dict[str, str]:
    """{image name: layout directory} of every service image in this build."""
    spec = os.environ.get("REPRO_IMAGES", "")
    pairs = [item.split("=", 1) for item in spec.split(";") if item]
    return {name: layout for name, layout in pairs}


def description_path(name: str, root: str = "") -> str:
    return os.path.join(root, EXPECTED_DIR, f"{name}.jsonl")


def read_hashes(path: str, what: str) -> dict[str, str]:
    """A release manifest ({image name: digest}); anything else is a one-line error."""
    hashes = load_json(path, what)
    if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
        raise UserError(f"{what} {path} must be a JSON object mapping image names to digests")
    return hashes
