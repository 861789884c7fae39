"""The one policy for the mode of a regular file in a layer. Standard library only.

A layer's bytes must not depend on the permission bits the executing machine reports: Bazel
marks every input of a remote action executable, a `core.fileMode=false` clone or an archive
without modes has none, a umask takes some away. So the file system's mode bits are never read.
A regular file's mode is, in this order:

1. the mode declared for its path (a rule's `modes`, a spec entry's `mode`, and executables
   declared by their rule, such as a binary's launcher);
2. the mode its package declares: members of an input tar keep theirs, and files of a tree
   unpacked from Debian packages take the mode recorded from the packages' tar headers when the
   tree was made (a *mode record*, see `format_record`);
3. otherwise a rule on the content alone: `0755` for an ELF executable (type EXEC, or DYN with
   a program interpreter: PIE programs, not shared libraries) and for a script starting with
   `#!`; `0644` for everything else.

Directories are 0755 and symlinks 0777 unless declared otherwise (tools/layer/README.md).
"""

from __future__ import annotations

import os
import struct
from typing import Callable, Iterable, Mapping

from tools.common.errors import UserError

EXECUTABLE = 0o755
REGULAR = 0o644
# Enough for the ELF header and, in every toolchain's layout, the program headers after it.
HEAD_SIZE = 4096

RECORD_NAME = "deb_tree.modes"
_RECORD_HEADER = "# reproimage mode record v1: <octal mode> <path>, from the packages' tar headers\n"

_ELF_MAGIC = b"\x7fELF"
_ET_EXEC, _ET_DYN = 2, 3
_PT_INTERP = 3

ReadAt = Callable[[int, int], bytes]  # (offset, size) -> bytes (shorter at the end of the file)


def from_content(head: bytes, read_at: ReadAt | None = None) -> int:
    """The content rule: 0755 for ELF executables and `#!` scripts, 0644 otherwise.

    `head` is the start of the file (at least HEAD_SIZE bytes unless the file is shorter);
    `read_at` reads further when an ELF file's program headers lie beyond it.
    """
    if head.startswith(b"#!"):
        return EXECUTABLE
    if head.startswith(_ELF_MAGIC) and _elf_is_executable(head, read_at):
        return EXECUTABLE
    return REGULAR


def _elf_is_executable(head: bytes, read_at: ReadAt | None) -> bool:
    if len(head) < 52 or head[4] not in (1, 2) or head[5] not in (1, 2):
        return False  # too short or not a valid ELF identification: data that looks like ELF
    order = "<" if head[5] == 1 else ">"
    (elf_type,) = struct.unpack_from(order + "H", head, 16)
    if elf_type == _ET_EXEC:
        return True
    if elf_type != _ET_DYN:
        return False
    if head[4] == 2:  # 64-bit
        if len(head) < 64:
            return False
        (phoff,) = struct.unpack_from(order + "Q", head, 32)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
    else:
        (phoff,) = struct.unpack_from(order + "I", head, 28)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 42)
    if phentsize < 4 or phnum == 0:
        return False
    size = phentsize * phnum
    if phoff + size <= len(head):
        table = head[phoff : phoff + size]
    elif read_at is not None:
        table = read_at(phoff, size)
    else:
        return False
    for offset in range(0, len(table) - 3, phentsize):
        (p_type,) = struct.unpack_from(order + "I", table, offset)
        if p_type == _PT_INTERP:
            return True
    return False


def format_record(modes: Mapping[str, int]) -> bytes:
    """A mode record: the header line, then `<octal mode> <path>` per file, sorted by path bytes."""
    lines = [_RECORD_HEADER]
    for path in sorted(modes, key=lambda p: p.encode("utf-8")):
        if "\n" in path or "\r" in path:
            raise UserError(f"path {path!r} contains a line break; a mode record cannot hold it")
        lines.append(f"{modes[path]:04o} {path}\n")
    return "".join(lines).encode("utf-8")


def parse_record(path: str) -> dict[str, int]:
    """Reads a mode record written by `format_record`; errors name the file and line."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise UserError(f"cannot read mode record {path!r}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: mode record is not UTF-8; re-fetch the repository that holds it") from None
    lines = text.split("\n")
    if not text.startswith(_RECORD_HEADER) or lines[-1] != "":
        raise UserError(f"{path}: not a mode record (wrong first line or no final newline); "
                        "re-fetch the repository that holds it")
    modes: dict[str, int] = {}
    for number, line in enumerate(lines[1:-1], start=2):
        mode, _, name = line.partition(" ")
        if len(mode) != 4 or not name or any(c not in "01234567" for c in mode):
            raise UserError(f"{path}:{number}: expected '<octal mode> <path>', got {line!r}")
        modes[name] = int(mode, 8)
    return modes


class Records:
    """Mode records by the directory they describe (the one that holds the record file)."""

    def __init__(self) -> None:
        self._roots: dict[str, tuple[str, dict[str, int]]] = {}

    def add(self, record_path: str) -> None:
        root = os.path.dirname(os.path.normpath(record_path))
        if root not in self._roots:
            self._roots[root] = (record_path, parse_record(record_path))

    def add_all(self, record_paths: Iterable[str]) -> None:
        for record_path in record_paths:
            self.add(record_path)

    def lookup(self, src: str) -> int | None:
        """The recorded mode of the file at `src`, or None if no record covers it.

        A file below a recorded tree that its record does not name is an error: the tree and
        its record no longer belong together, and guessing would hide it.
        """
        if not self._roots:
            return None
        normal = os.path.normpath(src)
        for root, (record_path, modes) in self._roots.items():
            prefix = root + os.sep if root else ""
            if normal.startswith(prefix) and not normal.startswith(".." + os.sep):
                relative = normal[len(prefix):]
                if relative == RECORD_NAME:
                    return REGULAR
                mode = modes.get(relative)
                if mode is None:
                    raise UserError(
                        f"{src!r} lies in the tree described by the mode record {record_path!r}, which "
                        "does not name it; the record and the tree are out of step (re-fetch the repository)"
                    )
                return mode
        return None
