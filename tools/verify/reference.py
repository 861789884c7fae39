"""The reference values of an appraisal: the release manifest (e2e/expected_hashes.json, image
name -> manifest digest) and, where committed, each image's description (e2e/expected/<name>.jsonl),
whose config holds its launch policy labels."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from tools.common.digest import check_digest
from tools.common.errors import UserError
from tools.common.json_file import load_json
from tools.image import description


@dataclasses.dataclass(frozen=True)
class Reference:
    path: str
    digests: dict[str, str]  # service -> manifest digest
    descriptions_dir: str

    def service_of(self, digest: str) -> str | None:
        for name in sorted(self.digests):
            if self.digests[name] == digest:
                return name
        return None

    def config_of(self, service: str) -> tuple[str, dict[str, Any]] | None:
        """(config digest, config) from the committed description, if there is one."""
        path = os.path.join(self.descriptions_dir, service + ".jsonl")
        if not os.path.isfile(path):
            return None
        d = description.read_description(path)
        return d.config_digest, d.config


def load(path: str) -> Reference:
    value = load_json(path, "expected hash manifest")
    if not isinstance(value, dict) or not value:
        raise UserError(f"expected hash manifest {path} must be a non-empty object of image name -> digest")
    for name, digest in value.items():
        check_digest(digest, f"{path} {name}")
    return Reference(path, dict(value), os.path.join(os.path.dirname(path), "expected"))
