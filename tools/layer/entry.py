"""The public, normalized view of one layer entry (what `LayerBuilder.entries()` returns)."""

from __future__ import annotations

from dataclasses import dataclass

FILE = "file"
DIR = "dir"
SYMLINK = "symlink"
HARDLINK = "hardlink"


@dataclass(frozen=True)
class Entry:
    """One tar member exactly as the layer writes it.

    `path` is normalized and has no trailing "/" (the tar spells directories with
    one). `sha256` is the hex digest of a regular file's bytes, "" otherwise;
    `target` is a link's target, "" otherwise. For hard links, `target` is the
    first path of the group in sorted order, the one written as the regular file.
    """

    path: str
    type: str
    mode: int
    size: int = 0
    sha256: str = ""
    target: str = ""

    def listing_line(self) -> str:
        """`<mode octal> <type> <size> <sha256 or link target or -> <path>` (dirs end in "/")."""
        detail = self.sha256 or self.target or "-"
        name = self.path + "/" if self.type == DIR else self.path
        return f"{self.mode:04o} {self.type} {self.size} {_escape(detail)} {_escape(name)}"


def _escape(text: str) -> str:
    """Keeps one entry per line: backslash, control characters and spaces in names are escaped."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == " ":
            out.append("\\x20")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)
