"""CLI: an image's provenance, an in-toto statement with a SLSA provenance v1 predicate in an
unsigned DSSE envelope (sign it with sign.py).

    provenance.py --name NAME --digest IMAGE.digest --target LABEL --sbom SBOM --locks LOCKS.json
        --environment_lock LABEL=PATH [--toolchain_lock LABEL=PATH ...] [--stable_status FILE]
        --output IMAGE.intoto.json

Subject: the image's manifest digest. Resolved dependencies: the source revision (from the stable
workspace status, when the build is stamped), the build environment's lock, every lock the
image's contents came from and the toolchains' locks, each by sha256. No time, host or user is
recorded: the same inputs give the same bytes. See tools/evidence/README.md.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Any, Sequence

from absl import flags

from tools.common import atomic, canonical_json
from tools.common.digest import DIGEST, file_sha256_hex
from tools.common.errors import UserError, run_cli
from tools.common.json_file import load_json
from tools.evidence import dsse

TOOL = "provenance"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://reproimage.invalid/buildtypes/bazel-oci-image/v1"
BUILDER_ID = "https://reproimage.invalid/builders/buildenv-bazel/v1"
# Stable workspace status keys (scripts/workspace_status.sh) that name the source.
SOURCE_KEYS = {"STABLE_SOURCE_REVISION": "revision", "STABLE_SOURCE_TREE_STATE": "treeState",
               "STABLE_SOURCE_REPOSITORY": "repository"}

_NAME = flags.DEFINE_string("name", None, "The image's name (the statement's subject).")
_DIGEST = flags.DEFINE_string("digest", None, "The image's .digest file (sha256:<hex> of its manifest).")
_TARGET = flags.DEFINE_string("target", None, "The image's Bazel label (the build command builds it).")
_SBOM = flags.DEFINE_string("sbom", None, "The image's SBOM (a byproduct, by sha256).")
_LOCKS = flags.DEFINE_string("locks", None, "The locks the image's contents came from (from the SBOM tool).")
_ENV_LOCK = flags.DEFINE_string("environment_lock", None, "LABEL=PATH of the build environment's lock.")
_TOOLCHAIN_LOCK = flags.DEFINE_multi_string("toolchain_lock", [], "LABEL=PATH of a toolchain's lock.")
_STABLE_STATUS = flags.DEFINE_string("stable_status", None, "Bazel's stable-status.txt (stamped builds).")
_OUTPUT = flags.DEFINE_string("output", None, "The DSSE envelope to write.")


def _pair(value: str, flag: str) -> tuple[str, str]:
    label, sep, path = value.partition("=")
    if not sep or not label or not path:
        raise UserError(f"--{flag} {value!r}: expected LABEL=PATH")
    return label, path


def source_of(stable_status: str | None) -> dict[str, str]:
    """The source keys of a stable-status.txt (empty when unstamped)."""
    if not stable_status:
        return {}
    try:
        with open(stable_status, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UserError(f"cannot read the workspace status {stable_status}: {e.strerror}") from None
    found = {}
    for line in lines:
        key, _, value = line.partition(" ")
        if key in SOURCE_KEYS and value.strip():
            found[SOURCE_KEYS[key]] = value.strip()
    return found


def statement(name: str, digest: str, target: str, sbom_sha256: str, sbom_name: str,
              contents_locks: Sequence[dict[str, str]], environment_lock: tuple[str, str],
              toolchain_locks: Sequence[tuple[str, str]], source: dict[str, str]) -> dict[str, Any]:
    dependencies: list[dict[str, Any]] = []
    if source.get("revision"):
        repository = source.get("repository", "")
        dependency: dict[str, Any] = {"name": "source", "digest": {"gitCommit": source["revision"]}}
        if repository:
            dependency["uri"] = f"git+{repository}@{source['revision']}"
        if source.get("treeState"):
            dependency["annotations"] = {"treeState": source["treeState"]}
        dependencies.append(dependency)
    dependencies.append({"name": environment_lock[0], "digest": {"sha256": file_sha256_hex(environment_lock[1])},
                         "annotations": {"role": "build environment"}})
    seen = {environment_lock[0]}
    for lock in sorted(contents_locks, key=lambda l: l["label"]):
        dependencies.append({"name": lock["label"], "digest": {"sha256": lock["sha256"]},
                             "annotations": {"role": "image contents", "kind": lock["kind"]}})
        seen.add(lock["label"])
    for label, path in sorted(toolchain_locks):
        if label not in seen:
            dependencies.append({"name": label, "digest": {"sha256": file_sha256_hex(path)},
                                 "annotations": {"role": "toolchain"}})
            seen.add(label)
    external: dict[str, Any] = {
        "target": target,
        "command": f"./scripts/buildenv/run.sh bazel build {target}",
    }
    if source:
        external["source"] = dict(source)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest.split(":", 1)[1]}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": external,
                "internalParameters": {"stamped": bool(source)},
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID},
                "byproducts": [{"name": sbom_name, "digest": {"sha256": sbom_sha256},
                                "mediaType": "application/spdx+json"}],
            },
        },
    }


def main(argv: Sequence[str]) -> int:
    for flag in (_NAME, _DIGEST, _TARGET, _SBOM, _LOCKS, _ENV_LOCK, _OUTPUT):
        if not flag.value:
            raise UserError(f"--{flag.name} is required")
    try:
        with open(_DIGEST.value, encoding="utf-8") as f:
            digest = f.read().strip()
    except OSError as e:
        raise UserError(f"cannot read the image digest {_DIGEST.value}: {e.strerror}") from None
    if not DIGEST.fullmatch(digest):
        raise UserError(f"{_DIGEST.value} does not hold a sha256:<hex> digest")
    locks = load_json(_LOCKS.value, "locks list")
    if not isinstance(locks, list) or not all(isinstance(l, dict) and {"label", "sha256", "kind"} <= set(l) for l in locks):
        raise UserError(f"{_LOCKS.value} is not a list of {{label, sha256, kind}}; rebuild the SBOM")
    result = statement(
        _NAME.value, digest, _TARGET.value, file_sha256_hex(_SBOM.value), os.path.basename(_SBOM.value), locks,
        _pair(_ENV_LOCK.value, "environment_lock"), [_pair(v, "toolchain_lock") for v in _TOOLCHAIN_LOCK.value],
        source_of(_STABLE_STATUS.value))
    with atomic.atomic_binary_output(_OUTPUT.value) as out:
        out.write(canonical_json.dumps(dsse.envelope(canonical_json.dumps(result))))
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
