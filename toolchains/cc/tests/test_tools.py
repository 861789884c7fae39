"""The tools run on the tools tree alone: its loader, its C library, its libraries."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tools.elf.elf_file import read_elf
from toolchain_env import BIN, LOADER, run_in_tree, tools_tree, wrappers

# The tree's file behind each wrapper (clang++ and ld.lld are links to clang and lld there).
TOOLS = sorted(wrappers())


@pytest.mark.parametrize("name", TOOLS)
def test_every_library_resolves_inside_the_tree(name):
    tree = tools_tree()
    listing = subprocess.run(run_in_tree(name)[:4] + ["--list", f"{tree}/{BIN}/{name}"],
                             capture_output=True, text=True, check=True).stdout
    resolved = re.findall(r"=> (\S+)", listing)
    assert resolved, listing
    outside = [p for p in resolved if not p.startswith(tree + "/")]
    assert not outside, f"{name} loads {outside} from outside the tools tree"
    assert "not found" not in listing


@pytest.mark.parametrize("name", TOOLS)
def test_every_library_is_needed_from_the_tree(name):
    # The loader's own view above; here the ELF files': each NEEDED name of the binary and of
    # its libraries is a file of the tree's library directories.
    tree = tools_tree()
    seen, todo = set(), [os.path.realpath(f"{tree}/{BIN}/{name}")]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for needed in read_elf(path).needed:
            found = [f"{tree}/{d}/{needed}" for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
                     if os.path.exists(f"{tree}/{d}/{needed}")]
            if needed == "ld-linux-x86-64.so.2":
                found = [f"{tree}/{LOADER}"]
            assert found, f"{needed} (needed by {path}) is not in the tools tree"
            todo.append(os.path.realpath(found[0]))


def test_clang_reports_its_version():
    result = subprocess.run(run_in_tree("clang", "--version"), capture_output=True, text=True, check=True)
    assert result.stdout.startswith("Debian clang version 16.0.6")
