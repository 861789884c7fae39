"""The provenance tool: an in-toto statement with a SLSA provenance v1 predicate in an unsigned
DSSE envelope; the same bytes whatever the machine's settings; the source revision only from
the stable workspace status; the DSSE pre-authentication encoding as the spec gives it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from tools.evidence import dsse

PROVENANCE = Path(__file__).parents[1] / "provenance.py"
DIGEST = "sha256:" + "12" * 32


def _inputs(root: Path, stable: str | None = None) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "image.digest").write_text(DIGEST)
    (root / "image.spdx.json").write_text('{"spdxVersion": "SPDX-2.3"}\n')
    (root / "locks.json").write_text(json.dumps([{"label": "//toolchains/debian:java_base.lock.json",
                                                  "sha256": "ab" * 32, "kind": "deb"}]))
    (root / "environment.lock").write_text("bazel 7.7.1\n")
    (root / "jdk17.lock.json").write_text("{}\n")
    args = ["--name=app_image", f"--digest={root}/image.digest", "--target=//app:app_image",
            f"--sbom={root}/image.spdx.json", f"--locks={root}/locks.json",
            f"--environment_lock=//scripts:buildenv/environment.lock={root}/environment.lock",
            f"--toolchain_lock=//toolchains/debian:jdk17.lock.json={root}/jdk17.lock.json",
            f"--output={root}/out.intoto.json"]
    if stable is not None:
        (root / "stable-status.txt").write_text(stable)
        args.append(f"--stable_status={root}/stable-status.txt")
    return args


def _run(args: list[str], **env: str) -> None:
    result = subprocess.run([sys.executable, str(PROVENANCE), *args], capture_output=True, text=True,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr


def _statement(path: Path) -> dict:
    envelope = json.loads(path.read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json" and envelope["signatures"] == []
    return json.loads(base64.b64decode(envelope["payload"]))


def test_same_bytes_whatever_the_settings(tmp_path):
    _run(_inputs(tmp_path / "a"), TZ="UTC", SOURCE_DATE_EPOCH="0")
    _run(_inputs(tmp_path / "b" / "deeper"), TZ="Pacific/Kiritimati", LANG="tr_TR.UTF-8")
    assert (tmp_path / "a" / "out.intoto.json").read_bytes() == (tmp_path / "b" / "deeper" / "out.intoto.json").read_bytes()


def test_statement(tmp_path):
    _run(_inputs(tmp_path))
    s = _statement(tmp_path / "out.intoto.json")
    assert s["_type"] == "https://in-toto.io/Statement/v1" and s["predicateType"] == "https://slsa.dev/provenance/v1"
    assert s["subject"] == [{"name": "app_image", "digest": {"sha256": "12" * 32}}]
    definition = s["predicate"]["buildDefinition"]
    assert definition["externalParameters"] == {"target": "//app:app_image",
                                                "command": "./scripts/buildenv/run.sh bazel build //app:app_image"}
    assert definition["internalParameters"] == {"stamped": False}
    names = [(d["name"], d["annotations"]["role"]) for d in definition["resolvedDependencies"]]
    assert names == [("//scripts:buildenv/environment.lock", "build environment"),
                     ("//toolchains/debian:java_base.lock.json", "image contents"),
                     ("//toolchains/debian:jdk17.lock.json", "toolchain")]
    import hashlib
    assert definition["resolvedDependencies"][0]["digest"]["sha256"] == hashlib.sha256(b"bazel 7.7.1\n").hexdigest()
    assert s["predicate"]["runDetails"]["byproducts"][0]["name"] == "image.spdx.json"


def test_stamped_source_from_stable_status_only(tmp_path):
    stable = ("BUILD_HOST builder-7\nBUILD_USER alice\nSTABLE_SOURCE_REVISION " + "f" * 40 +
              "\nSTABLE_SOURCE_TREE_STATE clean\nSTABLE_SOURCE_REPOSITORY https://git.example/reproimage.git\n")
    _run(_inputs(tmp_path, stable))
    s = _statement(tmp_path / "out.intoto.json")
    source = s["predicate"]["buildDefinition"]["resolvedDependencies"][0]
    assert source == {"name": "source", "digest": {"gitCommit": "f" * 40},
                      "uri": "git+https://git.example/reproimage.git@" + "f" * 40,
                      "annotations": {"treeState": "clean"}}
    text = (tmp_path / "out.intoto.json").read_text()
    assert "builder-7" not in base64.b64decode(json.loads(text)["payload"]).decode()


def test_pae_is_the_dsse_encoding():
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
