"""update_expected: records the built images as the expectation of //e2e:reproducibility.

    ./scripts/buildenv/run.sh bazel run //e2e:update_expected

Writes e2e/expected_hashes.json (the release manifest as built) and e2e/expected/<name>.jsonl
(each image's description, which lets a future mismatch be explained file by file).
"""

from __future__ import annotations

import io
import json
import os
from typing import Sequence

from e2e import reproducibility
from tools.common import atomic
from tools.common.errors import UserError, run_cli
from tools.image import description

TOOL = "update_expected"


def main(argv: Sequence[str]) -> int:
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if not workspace:
        raise UserError("run me with `bazel run //e2e:update_expected`")
    hashes = reproducibility.read_hashes(reproducibility.RELEASE_MANIFEST, "release manifest")
    layouts = reproducibility.images()
    missing = sorted(set(hashes) - set(layouts))
    if missing:
        raise UserError(f"no layout given for {', '.join(missing)}; is REPRO_IMAGES in e2e/BUILD.bazel complete?")
    # Describe everything first: nothing is written unless every image is consistent.
    descriptions = {}
    for name in sorted(hashes):
        text = io.StringIO()
        digest = description.write_description(layouts[name], text)
        if digest != hashes[name]:
            raise UserError(f"{name}: the layout's digest {digest} is not the release manifest's {hashes[name]}")
        descriptions[name] = text.getvalue()
    expected_dir = os.path.join(workspace, reproducibility.EXPECTED_DIR)
    os.makedirs(expected_dir, exist_ok=True)
    for name, text in descriptions.items():
        with atomic.atomic_text_output(reproducibility.description_path(name, workspace)) as out:
            out.write(text)
    for stale in sorted(os.listdir(expected_dir)):
        if stale.endswith(".jsonl") and stale[: -len(".jsonl")] not in hashes:
            os.unlink(os.path.join(expected_dir, stale))
    with atomic.atomic_text_output(os.path.join(workspace, reproducibility.EXPECTED_HASHES)) as out:
        out.write(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    for name in sorted(hashes):
        print(f"{name} {hashes[name]}")
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
