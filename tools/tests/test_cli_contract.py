"""One CLI shape: every tool Bazel runs reports a bad flag and bad input in one line of one form.

The tools run as Bazel runs them (their py_binary launchers from this test's runfiles; deb_tree,
which a repository rule runs before any pip package exists, as a module of the interpreter),
each given an unknown flag, a flag value it must refuse, and input it cannot use.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Callable

import pytest

# tool name -> runfiles path of its launcher
TOOLS = {
    "layer_writer": "tools/layer/layer_writer",
    "image_assembler": "tools/image/image_assembler",
    "image_diff": "tools/image/image_diff",
    "image_hashes": "tools/image/image_hashes",
    "deb_lock": "tools/debian/deb_lock",
    "deb_repack": "tools/debian/deb_repack",
    "image_publish": "tools/registry/image_publish",
    "update_expected": "e2e/update_expected",
    "spring_boot_jar": "tools/bootjar/spring_boot_jar",
    "deb_tree": "-m tools.debian.deb_tree",
    "sbom": "tools/evidence/sbom",
    "provenance": "tools/evidence/provenance",
    "sign": "tools/evidence/sign",
    "image_tarball": "tools/image/image_tarball",
    "verify": "tools/verify/verify",
    "action_key_check": "tools/actionkey/action_key_check",
}

# argparse (and absl) report missing required flags before other errors: give deb_tree and
# action_key_check their required flags where another error is tested.
REQUIRED = {
    "deb_tree": ["--data=python3=data.tar.xz", "--output=."],
    "action_key_check": ["--a=a.json", "--b=b.json"],
}

# A flag value each tool must refuse before it runs (update_expected has no flags of its own).
BAD_VALUES = {
    "layer_writer": ["--compression=lz4"],
    "image_assembler": ["--verify_digests=maybe"],
    "image_diff": ["--os"],
    "image_hashes": ["--image"],
    "deb_lock": ["--timeout=soon"],
    "deb_repack": ["--level=high"],
    "image_publish": ["--max_attempts=0"],
    "spring_boot_jar": ["--spec"],
    "deb_tree": ["--data"],
    "sbom": ["--layer"],
    "provenance": ["--toolchain_lock"],
    "sign": ["--envelope"],
    "image_tarball": ["--repo_tag"],
    "verify": ["--now=soon"],
    "action_key_check": ["--require_same_actions=maybe"],
}


# Input each tool cannot use: files to write first ({name: content}), then the arguments and extra
# environment; "{tmp}" stands for the test's directory, which is also the working directory.
BAD_INPUT = {
    "layer_writer": ({}, ["--spec={tmp}/missing.json", "--output={tmp}/layer.tar.gz"], {}),
    "image_assembler": ({}, ["--base={tmp}/missing", "--output={tmp}/image"], {}),
    "image_diff": ({}, ["{tmp}/missing", "{tmp}/missing2"], {}),
    "image_hashes": ({"bad.digest": "sha256:not-hex"}, ["--image=app={tmp}/bad.digest", "--output={tmp}/h.json"], {}),
    "deb_lock": ({"bad.toml": "snapshot = \n"}, ["--manifest={tmp}/bad.toml", "--lock={tmp}/bad.lock.json"], {}),
    "deb_repack": ({"not.deb": "PK a zip, not a deb"}, ["--deb={tmp}/not.deb", "--output={tmp}/layer.tar.gz"], {}),
    "image_publish": ({}, ["--layout={tmp}/missing", "--repository=127.0.0.1:5000/app"], {}),
    "spring_boot_jar": ({"boot.json": '{"loader": "l.jar", "classes": [], "start_class": "A", "colour": "red"}'},
                        ["--spec={tmp}/boot.json", "--output={tmp}/app.jar"], {}),
    # As the repository rule runs it: into the directory it stands in.
    "deb_tree": ({}, ["--data=python3={tmp}/missing.tar.xz", "--output=."], {}),
    # It reads the release manifest from its working directory (the runfiles under bazel run).
    "update_expected": ({"image_hashes.json": '{"app": '}, [], {"BUILD_WORKSPACE_DIRECTORY": "{tmp}", "REPRO_IMAGES": ""}),
    "sbom": ({}, ["--layout={tmp}/missing", "--name=app", "--output={tmp}/app.spdx.json"], {}),
    "provenance": ({}, ["--name=app", "--digest={tmp}/missing.digest", "--target=//app", "--sbom={tmp}/s",
                        "--locks={tmp}/l", "--environment_lock=//e={tmp}/e", "--output={tmp}/p.json"], {}),
    "sign": ({"e.json": '{"payloadType": "x", "payload": "", "signatures": []}'},
             ["--envelope={tmp}/e.json", "--key={tmp}/missing.pem", "--output={tmp}/signed.json"], {}),
    "image_tarball": ({}, ["--layout={tmp}/missing", "--repo_tag=app:latest", "--output={tmp}/app.tar"], {}),
    "action_key_check": ({"a.json": "[1, 2]"}, ["--a={tmp}/a.json", "--b={tmp}/a.json"], {}),
    "verify": ({}, ["appraise", "--token={tmp}/missing.jwt", "--jwks={tmp}/jwks.json", "--audience=a"], {}),
}


def _bad_input(tool: str, tmp: str) -> tuple[list[str], dict[str, str]]:
    files, args, env = BAD_INPUT[tool]
    for name, content in files.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(content)
    return [a.replace("{tmp}", tmp) for a in args], {k: v.replace("{tmp}", tmp) for k, v in env.items()}


def _run(tool: str, args: list[str], tmp: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {"PATH": os.environ["PATH"], "RUNFILES_DIR": os.environ["TEST_SRCDIR"],
                "HOME": os.environ.get("TEST_TMPDIR", tmp), **(env or {})}
    if TOOLS[tool].startswith("-m "):
        command = [sys.executable, "-B", "-S", "-m", TOOLS[tool][3:]]
        full_env["PYTHONPATH"] = os.getcwd()  # the runfiles' main repository
    else:
        command = [os.path.abspath(TOOLS[tool])]
    return subprocess.run([*command, *args], cwd=tmp, env=full_env, capture_output=True, text=True, timeout=120)


def _assert_one_line_error(tool: str, result: subprocess.CompletedProcess, check: Callable[[str], bool]) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert re.fullmatch(re.escape(tool) + r": error: [^\n]*\S\n", result.stderr), result.stderr
    assert check(result.stderr), result.stderr


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_unknown_flag(tool, tmp_path):
    result = _run(tool, REQUIRED.get(tool, []) + ["--no_such_flag=1"], str(tmp_path))
    _assert_one_line_error(tool, result, lambda err: "no_such_flag" in err and "--help" in err)


@pytest.mark.parametrize("tool", sorted(BAD_VALUES))
def test_bad_flag_value(tool, tmp_path):
    flag = BAD_VALUES[tool][0].split("=")[0]
    result = _run(tool, BAD_VALUES[tool], str(tmp_path))
    _assert_one_line_error(tool, result, lambda err: flag in err)


@pytest.mark.parametrize("tool", sorted(set(TOOLS) - {"image_diff"}))
def test_stray_argument(tool, tmp_path):
    result = _run(tool, REQUIRED.get(tool, []) + ["stray"], str(tmp_path))
    _assert_one_line_error(tool, result, lambda err: "stray" in err and "--help" in err)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_bad_input(tool, tmp_path):
    args, env = _bad_input(tool, str(tmp_path))
    before = sorted(os.listdir(tmp_path))
    result = _run(tool, args, str(tmp_path), env)
    # The message names the file at fault.
    _assert_one_line_error(tool, result, lambda err: str(tmp_path) in err or "image_hashes.json" in err)
    assert sorted(os.listdir(tmp_path)) == before  # no output, not even a half-written one
