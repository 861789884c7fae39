"""Into the file that differs: the first differing entry of a jar, wheel or zip (name, order,
timestamp, compression, content, and for a `.class` which class), nested archives in turn, the
sections of an ELF file, the first differing line of a text; and the known cause where one is
recognisable (timestamp, build path, uid/gid, mode, order, compressor).
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from typing import Any

from tools.image import class_file, elf_sections

MAX_DEPTH = 4
# A file small enough to compare line by line or search for build paths in memory.
_TEXT_LIMIT = 8 << 20
_ARCHIVE_SUFFIXES = (".jar", ".war", ".zip", ".whl", ".apk", ".aar")
# Absolute paths of build machines and Bazel's output tree: in an output, they are a build path.
_BUILD_PATH = re.compile(rb"(?:/home/[^\0\s\"']+|/tmp/[^\0\s\"']+|/build/[^\0\s\"']+|/root/[^\0\s\"']+|"
                         rb"/workspace/[^\0\s\"']+|/var/tmp/[^\0\s\"']+|[^\0\s\"']*bazel-out/[^\0\s\"']+|"
                         rb"[^\0\s\"']*/execroot/[^\0\s\"']+|[^\0\s\"']*/sandbox/[^\0\s\"']+)")

CAUSES = ("timestamp", "build path", "uid/gid", "mode", "order", "compressor", "content")


@dataclasses.dataclass
class Field:
    name: str
    a: Any
    b: Any

    def render(self) -> str:
        return f"{self.name}: {_show(self.a)} != {_show(self.b)}"

    def to_json(self) -> dict[str, Any]:
        return {"field": self.name, "a": self.a, "b": self.b}


def _show(value: Any) -> str:
    return "<absent>" if value is None else repr(value) if isinstance(value, str) else str(value)


@dataclasses.dataclass
class InnerFinding:
    """What differs inside one file (an archive member, an ELF section, a line)."""

    path: str  # the file, "a.jar" or "a.jar!/BOOT-INF/lib/b.jar" when nested
    format: str  # jar, wheel, zip, elf, text, binary
    entry: str | None = None  # the first differing member / section / "line N"
    fields: list[Field] = dataclasses.field(default_factory=list)
    class_name: str | None = None
    causes: list[str] = dataclasses.field(default_factory=list)
    further: int = 0  # further differing entries in this file
    note: str | None = None
    inner: "InnerFinding | None" = None

    def render_lines(self) -> list[str]:
        head = f"inside {self.path} ({self.format})"
        lines = [head + (f": first differing entry {self.entry}" if self.entry else "")]
        if self.class_name:
            lines.append(f"  class {self.class_name}")
        lines.extend("  " + f.render() for f in self.fields)
        if self.causes:
            lines.append("  cause: " + ", ".join(self.causes))
        if self.note:
            lines.append("  " + self.note)
        if self.further:
            lines.append(f"  {self.further} further differing entr{'y' if self.further == 1 else 'ies'} in {self.path}")
        if self.inner:
            lines.extend("  " + line for line in self.inner.render_lines())
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "format": self.format, "entry": self.entry,
            "fields": [f.to_json() for f in self.fields], "class": self.class_name, "causes": self.causes,
            "further_differing_entries": self.further, "note": self.note,
            "inner": self.inner.to_json() if self.inner else None,
        }


def build_paths(data: bytes) -> set[str]:
    return {m.decode("utf-8", errors="replace") for m in _BUILD_PATH.findall(data[:_TEXT_LIMIT])}


def _build_path_cause(a: bytes, b: bytes, finding: InnerFinding) -> None:
    only = sorted(build_paths(a) ^ build_paths(b))
    if only:
        finding.causes.append("build path")
        finding.note = f"build path in one side only: {only[0]}" + (f" (+{len(only) - 1} more)" if len(only) > 1 else "")


def _format(path: str, head: bytes) -> str:
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        if path.endswith(".whl"):
            return "wheel"
        return "jar" if path.endswith((".jar", ".war", ".aar")) else "zip"
    if head[:4] == b"\x7fELF":
        return "elf"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "binary"


def compare(path: str, a: bytes, b: bytes, depth: int = 0) -> InnerFinding:
    """What differs between two versions of the file at `path` (both differ, by assumption)."""
    kind = _format(path, a[:4096])
    if kind != _format(path, b[:4096]):
        return InnerFinding(path, kind, fields=[Field("format", kind, _format(path, b[:4096]))], causes=["content"])
    if kind in ("jar", "wheel", "zip"):
        return _compare_zip(path, kind, a, b, depth)
    if kind == "elf":
        return _compare_elf(path, a, b)
    finding = InnerFinding(path, kind)
    if kind == "text" and len(a) <= _TEXT_LIMIT and len(b) <= _TEXT_LIMIT:
        lines_a, lines_b = a.decode("utf-8").splitlines(), b.decode("utf-8", errors="replace").splitlines()
        for i in range(max(len(lines_a), len(lines_b))):
            la = lines_a[i] if i < len(lines_a) else None
            lb = lines_b[i] if i < len(lines_b) else None
            if la != lb:
                finding.entry = f"line {i + 1}"
                finding.fields.append(Field("text", la, lb))
                break
    finding.causes.append("content")
    _build_path_cause(a, b, finding)
    return finding


def _zip_fields(a: zipfile.ZipInfo, b: zipfile.ZipInfo) -> list[Field]:
    pairs = [
        ("mtime", a.date_time, b.date_time),
        ("compression", a.compress_type, b.compress_type),
        ("crc32", f"{a.CRC:08x}", f"{b.CRC:08x}"),
        ("size", a.file_size, b.file_size),
        ("compressed_size", a.compress_size, b.compress_size),
        ("mode", oct(a.external_attr >> 16), oct(b.external_attr >> 16)),
        ("extra", a.extra.hex(), b.extra.hex()),
        ("comment", a.comment.decode("utf-8", "replace"), b.comment.decode("utf-8", "replace")),
    ]
    return [Field(n, x if not isinstance(x, tuple) else "-".join(map(str, x)),
                  y if not isinstance(y, tuple) else "-".join(map(str, y))) for n, x, y in pairs if x != y]


def _compare_zip(path: str, kind: str, a: bytes, b: bytes, depth: int) -> InnerFinding:
    finding = InnerFinding(path, kind)
    try:
        za, zb = zipfile.ZipFile(io.BytesIO(a)), zipfile.ZipFile(io.BytesIO(b))
    except zipfile.BadZipFile as e:
        finding.note = f"cannot read it as a zip archive: {e}"
        return finding
    with za, zb:
        names_a, names_b = [i.filename for i in za.infolist()], [i.filename for i in zb.infolist()]
        only_a, only_b = set(names_a) - set(names_b), set(names_b) - set(names_a)
        infos_a, infos_b = {i.filename: i for i in za.infolist()}, {i.filename: i for i in zb.infolist()}
        differing = []
        for name in names_a:
            if name in infos_b:
                fields = _zip_fields(infos_a[name], infos_b[name])
                if fields:
                    differing.append((name, fields))
        if only_a or only_b:
            name = min(only_a | only_b)
            finding.entry = name
            finding.fields.append(Field("present", name in only_a, name in only_b))
            finding.causes.append("content")
            finding.further = len(only_a | only_b) - 1 + len(differing)
            return finding
        if not differing:
            if names_a != names_b:
                i = next(i for i, (x, y) in enumerate(zip(names_a, names_b)) if x != y)
                finding.entry = names_a[i]
                finding.fields.append(Field("position", i, names_b.index(names_a[i])))
                finding.causes.append("order")
            else:
                finding.note = "every entry is equal; the archives differ in their headers or central directory"
            return finding
        name, fields = differing[0]
        finding.entry, finding.fields, finding.further = name, fields, len(differing) - 1
        changed = {f.name for f in fields}
        if "mtime" in changed:
            finding.causes.append("timestamp")
        if "mode" in changed:
            finding.causes.append("mode")
        if "crc32" not in changed and changed & {"compression", "compressed_size"}:
            finding.causes.append("compressor")
        if "crc32" in changed or "size" in changed:
            data_a, data_b = za.read(name), zb.read(name)
            if name.endswith(".class"):
                finding.class_name = class_file.class_name(data_b) or class_file.class_name(data_a)
                va, vb = class_file.version(data_a), class_file.version(data_b)
                if va != vb:
                    finding.fields.append(Field("class_version", va, vb))
            if depth < MAX_DEPTH and (name.endswith(_ARCHIVE_SUFFIXES) or data_a[:4] == b"\x7fELF"):
                finding.inner = compare(f"{path}!/{name}", data_a, data_b, depth + 1)
            else:
                finding.causes.append("content")
                _build_path_cause(data_a, data_b, finding)
        return finding


def _compare_elf(path: str, a: bytes, b: bytes) -> InnerFinding:
    finding = InnerFinding(path, "elf")
    sa, sb = elf_sections.sections(a), elf_sections.sections(b)
    if sa is None or sb is None:
        finding.note = "cannot read its section table (not a 64-bit little-endian ELF file?)"
        finding.causes.append("content")
        return finding
    by_a, by_b = {n: (s, h) for n, s, h in sa}, {n: (s, h) for n, s, h in sb}
    differing = [n for n, _, _ in sa if by_b.get(n) != by_a[n]] + [n for n, _, _ in sb if n not in by_a]
    if not differing:
        finding.note = "every section is equal; the headers or the bytes between sections differ"
        return finding
    name = differing[0]
    finding.entry = f"section {name or '<unnamed>'}"
    finding.further = len(differing) - 1
    if name in by_a and name in by_b:
        finding.fields.append(Field("size", by_a[name][0], by_b[name][0]))
        finding.fields.append(Field("sha256", by_a[name][1], by_b[name][1]))
    else:
        finding.fields.append(Field("present", name in by_a, name in by_b))
    finding.note = "differing sections: " + ", ".join(differing[:8]) + (" ..." if len(differing) > 8 else "")
    finding.causes.append("content")
    only = sorted(build_paths(a) ^ build_paths(b))
    if only:
        finding.causes.append("build path")
        finding.note += f"; build path in one side only: {only[0]}"
    return finding
