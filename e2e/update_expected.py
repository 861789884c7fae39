"""update_expected: records the built images as the expectation of //e2e:reproducibility.

    ./scripts/buildenv/run.sh bazel run //e2e:update_expected

Writes e2e/expected_hashes.json (the release manifest as built) and e2e/expected/<name>.jsonl
(each image's description, which lets a future mismatch be explained file by file).
"""

from __future__ import annotations

import json
import os
import sys

from e2e import reproducibility
from tools.common import atomic
from tools.common.errors import UserError, run_cli
from tools.image import description


def _main(argv: list[str]) -> int:
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if not workspace:
        raise UserError("run me with `bazel run //e2e:update_expected`")
    hashes = reproducibility.read_json(reproducibility.RELEASE_MANIFEST)
    layouts = reproducibility.images()
    expected_dir = os.path.join(workspace, reproducibility.EXPECTED_DIR)
    os.makedirs(expected_dir, exist_ok=True)
    for name in sorted(hashes):
        with atomic.atomic_text_output(reproducibility.description_path(name, workspace)) as out:
            digest = description.write_description(layouts[name], out)
        if digest != hashes[name]:
            raise UserError(f"{name}: the layout's digest {digest} is not the release manifest's {hashes[name]}")
    for stale in sorted(os.listdir(expected_dir)):
        if stale.endswith(".jsonl") and stale[: -len(".jsonl")] not in hashes:
            os.unlink(os.path.join(expected_dir, stale))
    with atomic.atomic_text_output(os.path.join(workspace, reproducibility.EXPECTED_HASHES)) as out:
        out.write(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    for name in sorted(hashes):
        print(f"{name} {hashes[name]}")
    return 0


if __name__ == "__main__":
    run_cli("update_expected", _main, sys.argv[1:])
