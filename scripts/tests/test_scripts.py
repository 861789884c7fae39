"""Every script of the project has one command-line shape (scripts/format.sh): `--help` prints its
header, and a bad option or argument is one line `<script>: error: ...; usage: ... (see
--help)`, exit status 2, before the script does anything else."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

# Runfiles path -> its usage line (the first header line, before ": ").
SCRIPTS = {
    "scripts/bazel_tests.sh": "./scripts/bazel_tests.sh [-- BAZEL_TEST_ARG...]",
    "scripts/build_images.sh": "./scripts/build_images.sh [-- BAZEL_ARG...]",
    "scripts/check_reproducibility.sh": "./scripts/check_reproducibility.sh [--only NAME,...] [--each] [--keep]",
    "scripts/test.sh": "./scripts/test.sh [-- BAZEL_TEST_ARG...]",
    "scripts/buildenv/create.sh": "./scripts/buildenv/create.sh [--accept-drift] [--force] [--verify]",
    "scripts/buildenv/enter.sh": "./scripts/buildenv/enter.sh ROOT WORKSPACE CMD...",
    "scripts/buildenv/install_packages.sh": "install_packages.sh SUITE MIRROR PINNED ACCEPT_DRIFT",
    "scripts/buildenv/run.sh": "./scripts/buildenv/run.sh [--accept-drift] [--] CMD [ARG...]",
    "scripts/buildenv/tests/buildenv_test.sh": "./scripts/buildenv/tests/buildenv_test.sh",
    "scripts/docker/docker_run.sh": './scripts/docker/docker_run.sh "CMD"',
    "bench/run.sh": "./bench/run.sh [--only SECTION,...] [--repeat N]",
    "e2e/change_test.sh": "./e2e/change_test.sh",
    "e2e/hermetic_cc_test.sh": "./e2e/hermetic_cc_test.sh",
    "e2e/toolchains/toolchains_test.sh": "./e2e/toolchains/toolchains_test.sh",
    "shuffler/services/services_test.sh": "./shuffler/services/services_test.sh",
    "scripts/remote_cluster.sh": "./scripts/remote_cluster.sh start|stop|status|clean",
    "scripts/remote/relock.sh": "./scripts/remote/relock.sh",
    "e2e/remote_test.sh": "./e2e/remote_test.sh",
    "tools/actionkey/tests/capture_logs.sh": "./tools/actionkey/tests/capture_logs.sh",
}

# Shell files that are no command of their own.
NOT_COMMANDS = {
    "scripts/format.sh": "sourced by the scripts (this shape's helpers)",
    "scripts/checks.sh": "sourced by the shell tests (PASS/FAIL lines, the closing count)",
    "scripts/buildenv/lib.sh": "sourced by the build environment's scripts",
    "scripts/buildenv/bazel-wrapper.sh": "installed as `bazel` inside the environment: its options are Bazel's",
    "scripts/workspace_status.sh": "Bazel's --workspace_status_command (--config=release): run by Bazel, with no arguments",
}

# More bad command lines, each with what its one line must say.
MISUSE = [
    ("scripts/build_images.sh", ["//some:target"], "unexpected argument '//some:target' (Bazel's arguments go after --)"),
    ("scripts/test.sh", ["--config=ci"], "unknown option '--config=ci' (Bazel's options go after --)"),
    ("scripts/check_reproducibility.sh", ["--only", "path,bogus"], "unknown condition 'bogus' in --only (conditions: "),
    ("scripts/check_reproducibility.sh", ["--only"], "--only needs a comma-separated list of conditions"),
    ("scripts/buildenv/run.sh", [], "no command given"),
    ("scripts/buildenv/enter.sh", ["/root"], "expected a root, a workspace and a command"),
    ("scripts/buildenv/install_packages.sh", ["forky", "auto"], "expected 4 arguments, got 2"),
    ("scripts/docker/docker_run.sh", ["bazel", "build"], "expected one command (quote it), got 2 arguments"),
    ("bench/run.sh", ["--repeat"], "--repeat needs a value"),
    ("e2e/change_test.sh", ["extra"], "unexpected argument 'extra'"),
    ("scripts/remote_cluster.sh", [], "no command given"),
    ("scripts/remote_cluster.sh", ["restart"], "unknown command 'restart'"),
    ("scripts/remote_cluster.sh", ["stop", "now"], "unexpected argument 'now'"),
]


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.abspath(script), *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "HOME": os.environ.get("TEST_TMPDIR", "/tmp")})


def test_every_shell_file_is_a_script_here_or_a_known_library():
    """Of the shell files this test has (every one under scripts/, the others named in BUILD)."""
    found = set()
    for top in ("scripts", "bench", "e2e", "shuffler", "tools"):
        for directory, _, files in os.walk(top):
            found |= {os.path.join(directory, f) for f in files if f.endswith(".sh")}
    assert found == set(SCRIPTS) | set(NOT_COMMANDS)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_help_prints_the_header(script):
    proc = _run(script, "--help")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(SCRIPTS[script] + ": "), proc.stdout
    assert not any(line.startswith("#") for line in lines)
    with open(script, encoding="utf-8") as f:
        header = [line for line in f.read().splitlines()[1:len(lines) + 1]]
    assert [re.sub(r"^# ?", "", line) for line in header] == lines  # the whole header, nothing else


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_an_unknown_option_is_one_line_with_the_usage(script):
    proc = _run(script, "--bogus")
    assert proc.returncode == 2
    assert proc.stdout == ""
    name = os.path.basename(script)
    assert proc.stderr.startswith(f"{name}: error: unknown option '--bogus'"), proc.stderr
    assert proc.stderr.endswith(f"; usage: {SCRIPTS[script]} (see --help)\n"), proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("script, args, message", MISUSE, ids=[f"{s}-{' '.join(a) or 'none'}" for s, a, _ in MISUSE])
def test_other_bad_command_lines_are_one_line(script, args, message):
    proc = _run(script, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"{os.path.basename(script)}: error: {message}"), proc.stderr
