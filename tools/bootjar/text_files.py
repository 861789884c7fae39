"""The generated text entries: META-INF/MANIFEST.MF, build-data.properties and the two indexes.

Every function is pure: the same arguments give the same bytes.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from tools.common.errors import UserError

LOADER_PREFIX = "org/springframework/boot/loader/"

# Spring Boot's layer names, in the order its layers.idx lists them.
DEPENDENCIES = "dependencies"
SPRING_BOOT_LOADER = "spring-boot-loader"
SNAPSHOT_DEPENDENCIES = "snapshot-dependencies"
APPLICATION = "application"
LAYERS = (DEPENDENCIES, SPRING_BOOT_LOADER, SNAPSHOT_DEPENDENCIES, APPLICATION)

_MANIFEST_LINE = 72  # bytes, the JAR specification's limit


def manifest(attributes: Sequence[tuple[str, str]]) -> bytes:
    """A manifest of one main section, CRLF line ends, lines wrapped at 72 bytes as the JAR
    specification requires (never inside a UTF-8 sequence, as java.util.jar.Manifest writes)."""
    out = bytearray()
    for name, value in attributes:
        if any(c in value for c in "\r\n\0"):
            raise UserError(f"manifest attribute {name}: value {value!r} contains a line break or NUL")
        out += _wrap(f"{name}: {value}".encode("utf-8"))
    out += b"\r\n"
    return bytes(out)


def _wrap(line: bytes) -> bytes:
    out = bytearray()
    limit = _MANIFEST_LINE
    while len(line) > limit:
        cut = limit
        while cut > 0 and (line[cut] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            cut -= 1
        out += line[:cut] + b"\r\n "
        line = line[cut:]
        limit = _MANIFEST_LINE - 1  # continuation lines start with a space
    return bytes(out + line + b"\r\n")


def properties(values: Mapping[str, str]) -> bytes:
    """A java.util.Properties file: sorted keys, `key=value` lines, no date comment (which
    Properties.store would write), escapes only where Properties.load needs them."""
    lines = [f"{_escape(key, is_key=True)}={_escape(value, is_key=False)}\n" for key, value in sorted(values.items())]
    return "".join(lines).encode("ascii")


def _escape(text: str, is_key: bool) -> str:
    out = []
    for i, c in enumerate(text):
        if c == "\\":
            out.append("\\\\")
        elif c in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[c])
        elif c == " " and (is_key or i == 0):
            out.append("\\ ")
        elif c in "=:#!" and is_key:
            out.append("\\" + c)
        elif not 0x20 <= ord(c) < 0x7F:
            out.append("".join(f"\\u{unit:04x}" for unit in _utf16_units(c)))
        else:
            out.append(c)
    return "".join(out)


def _utf16_units(c: str) -> list[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def classpath_index(lib_entries: Iterable[str]) -> bytes:
    """BOOT-INF/classpath.idx: the nested jars in classpath (= archive) order."""
    return "".join(f'- "{name}"\n' for name in lib_entries).encode("utf-8")


def layers_index(files: Mapping[str, str]) -> bytes:
    """BOOT-INF/layers.idx from {file entry: layer}, in Spring Boot's format: each layer's
    header, then its entries; a directory stands for all its files when they share one layer.
    Entries within a layer are sorted as Java sorts strings (UTF-16 code units)."""
    root = _Node()
    for name, layer in files.items():
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r} for {name!r}")
        node = root
        segments = name.split("/")
        for i, segment in enumerate(segments):
            node = node.child(segment + ("/" if i < len(segments) - 1 else ""))
            node.layers.add(layer)
    index: dict[str, list[str]] = {layer: [] for layer in LAYERS}
    for segment, child in root.children.items():
        child.collect(segment, index)
    out = []
    for layer in LAYERS:
        out.append(f'- "{layer}":\n')
        out += [f'  - "{name}"\n' for name in sorted(index[layer], key=lambda s: s.encode("utf-16-be"))]
    return "".join(out).encode("utf-8")


class _Node:
    def __init__(self) -> None:
        self.layers: set[str] = set()
        self.children: dict[str, _Node] = {}

    def child(self, segment: str) -> "_Node":
        return self.children.setdefault(segment, _Node())

    def collect(self, name: str, index: dict[str, list[str]]) -> None:
        if len(self.layers) == 1:
            index[next(iter(self.layers))].append(name)
            return
        for segment, child in self.children.items():
            child.collect(name + segment, index)


def layer_of(name: str) -> str:
    """The layer of an entry that is not a nested jar (Spring Boot's implicit layer rules)."""
    return SPRING_BOOT_LOADER if name.startswith(LOADER_PREFIX) else APPLICATION
