"""The toolchain's files in a test's runfiles, and an execution root made of them.

Bazel runs the tools from the execution root, where the trees are `external/<repository>/...`;
in a test's runfiles they are `../<repository>/...`. `ExecRoot` links a fresh directory up like
an execution root, so the wrappers and the command lines the toolchain produces run unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

LOADER = "lib64/ld-linux-x86-64.so.2"
LIBRARY_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
BIN = "usr/lib/llvm-16/bin"


def runfiles_root() -> str:
    return os.environ["TEST_SRCDIR"]


def tools_tree() -> str:
    """The tools tree, relative to the test's working directory (`../<repository>`)."""
    loader = os.environ["TOOLS_LOADER"]
    assert loader.endswith("/" + LOADER), loader
    return loader[: -len(LOADER) - 1]


def wrappers() -> dict[str, str]:
    """Tool name -> the wrapper script (as built for the test), relative to the working directory."""
    return {os.path.basename(p): p for p in os.environ["WRAPPERS"].split()}


def command_lines() -> dict:
    with open(os.environ["COMMAND_LINES"], encoding="utf-8") as f:
        return json.load(f)


def run_in_tree(tool: str, *args: str) -> list[str]:
    """The argv that runs `tool` of the tools tree as its wrapper does, from the working directory."""
    tree = tools_tree()
    library_path = ":".join(f"{tree}/{d}" for d in LIBRARY_DIRS)
    return [f"{tree}/{LOADER}", "--inhibit-cache", "--library-path", library_path, f"{tree}/{BIN}/{tool}", *args]


@dataclass
class ExecRoot:
    path: str

    @classmethod
    def make(cls, path: str) -> "ExecRoot":
        """`path` set up as an execution root: `external/` -> the runfiles root, and the main
        repository's top-level directories linked in."""
        os.makedirs(path)
        os.symlink(runfiles_root(), os.path.join(path, "external"))
        main = os.path.join(runfiles_root(), "_main")
        for name in os.listdir(main):
            os.symlink(os.path.join(main, name), os.path.join(path, name))
        return cls(path)

    @staticmethod
    def wrapper(name: str) -> str:
        """The test's wrapper `name`, as a path from the root (the main repository's files are
        linked in at the same relative paths as in the working directory)."""
        return wrappers()[name]

    def provide(self, relative: str, target: str) -> None:
        """A symlink at `relative` (an exec-configuration tool path the toolchain names) to `target`."""
        link = os.path.join(self.path, relative)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.abspath(target), link)
