"""Runs pytest on the test files named on the command line; the entry point of every py_pytest."""

from __future__ import annotations

import os
import sys


_RESTARTED = "PYTEST_MAIN_RESTARTED"


def _single_slash(value: str) -> str:
    """`//x` as `/x` if it names an existing path (a label such as `//pkg:t` stays)."""
    if value.startswith("//") and not value.startswith("///") and os.path.exists(value):
        return value[1:]
    return value


def _restart_without_double_slash() -> None:
    """Restarts this process with `/`-rooted paths if Bazel gave it `//`-rooted ones.

    On a remote worker whose input root is `/` (buildbox's bubblewrap runner), Bazel's test setup
    turns `$PWD/bazel-out/...` into `//bazel-out/...`. Linux reads both alike, but POSIX lets `//`
    mean something else, so pathlib gives them different roots and pytest crashes while
    formatting any failure (`... is not in the subpath of ...`) instead of reporting it.
    """
    if os.environ.get(_RESTARTED) or all(_single_slash(p) == p for p in (sys.executable, *sys.path)):
        return
    env = {name: os.pathsep.join(map(_single_slash, value.split(os.pathsep))) if name == "PYTHONPATH"
           else _single_slash(value) for name, value in os.environ.items()}
    env[_RESTARTED] = "1"  # once: whatever is left is not ours to fix
    argv = [_single_slash(arg) for arg in sys.orig_argv]
    os.execve(_single_slash(sys.executable), argv, env)


if __name__ == "__main__":
    _restart_without_double_slash()
    import pytest

    # Bazel's test runner gives us a private, writable temporary directory; keep pytest's there.
    args = ["-p", "no:cacheprovider", "-q", "-rs"]
    if "TEST_TMPDIR" in os.environ:
        args += ["--basetemp", os.path.join(os.environ["TEST_TMPDIR"], "pytest")]
    if "XML_OUTPUT_FILE" in os.environ:
        args += ["--junitxml", os.environ["XML_OUTPUT_FILE"]]
    sys.exit(pytest.main(args + sys.argv[1:]))
