"""Reading the input jars: their entries (from the central directory) and, on demand, bytes.

Names are decoded as UTF-8 whether or not an entry sets the UTF-8 flag, as java.util.zip
does; Python's default (cp437 for unflagged names) would disagree with the JVM about which
class an entry holds.
"""

from __future__ import annotations

import dataclasses
import zipfile
import zlib
from typing import Iterator

from tools.common.errors import UserError


@dataclasses.dataclass(frozen=True)
class Member:
    """A file entry of an input jar (directories are not members: the writer makes its own)."""

    name: str
    crc: int
    size: int


class InputJar:
    """One input jar, opened once; `members` lists its files in central-directory order."""

    def __init__(self, path: str, role: str) -> None:
        self.path = path
        self.role = role  # how error messages name it: "the loader jar", "BOOT-INF/lib/x.jar", ...
        try:
            self._zip = zipfile.ZipFile(path, metadata_encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"{role} {path} does not exist") from None
        except (zipfile.BadZipFile, UnicodeDecodeError) as e:
            raise UserError(f"{role} {path} is not a readable jar ({e}); rebuild or re-fetch it") from None
        except OSError as e:
            raise UserError(f"cannot read {role} {path}: {e.strerror}") from None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self.members: list[Member] = []
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            if info.filename in self._infos:
                raise UserError(f"{role} {path} holds the entry {info.filename!r} twice; rebuild it")
            self._infos[info.filename] = info
            self.members.append(Member(info.filename, info.CRC, info.file_size))

    def __enter__(self) -> "InputJar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def names(self) -> Iterator[str]:
        return iter(self._infos)

    def read(self, name: str) -> bytes:
        """The entry's bytes, checked against its CRC-32."""
        try:
            return self._zip.read(self._infos[name])
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
            raise UserError(f"{self.role} {self.path}: cannot read {name!r} ({e}); rebuild or re-fetch the jar") \
                from None

    def manifest_attribute(self, attribute: str) -> str | None:
        """A main-section attribute of META-INF/MANIFEST.MF, or None."""
        if "META-INF/MANIFEST.MF" not in self._infos:
            return None
        text = self.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
        return parse_main_attributes(text).get(attribute.lower())


def parse_main_attributes(text: str) -> dict[str, str]:
    """The manifest's main section as {lower-case name: value}, continuation lines joined."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw:
            break  # the main section ends at the first empty line
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    attributes: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            attributes[name.strip().lower()] = value.strip()
    return attributes
