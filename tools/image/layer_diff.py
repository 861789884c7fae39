"""Compares two layer blobs entry by entry without holding either in memory.

Both tars are streamed (`tarfile` "r|" modes) side by side; each entry is reduced to small
metadata plus the sha256 of its content, computed while streaming. When both tars list the
same paths in the same order (the usual case for two builds of one layer) or both are sorted
by path, memory stays flat. Only when the orders disagree do we fall back to one
{path: metadata} dict per side, which is O(entries), never O(bytes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import tarfile
from typing import Any, Iterator

from tools.common.errors import UserError
from tools.layer import decompress

_CHUNK = 1 << 20

_TYPE_NAMES = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.CONTTYPE: "file",
    tarfile.GNUTYPE_SPARSE: "file",
    tarfile.LNKTYPE: "hardlink",
    tarfile.SYMTYPE: "symlink",
    tarfile.DIRTYPE: "directory",
    tarfile.CHRTYPE: "char device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "fifo",
}
# PAX keys that tarfile already folds into TarInfo fields we compare.
_PAX_FOLDED = {"path", "linkpath", "size", "mtime", "uid", "gid", "uname", "gname"}

@dataclasses.dataclass(frozen=True)
class EntryMeta:
    """One tar entry as a comparison (and an image description) sees it: the one entry schema.

    A description stores it as the JSON list `to_row()` gives: the fields in this order, then
    the PAX records as [key, value] pairs if there are any.
    """

    path: str
    type: str
    mode: int
    uid: int
    gid: int
    uname: str
    gname: str
    mtime: float
    size: int
    linkname: str
    devmajor: int
    devminor: int
    content: str | None  # "sha256:<hex>" for regular files
    pax: tuple[tuple[str, str], ...] = ()  # PAX records not folded into the fields above

    def to_row(self) -> list[Any]:
        row: list[Any] = [getattr(self, name) for name in _ROW_FIELDS]
        if self.pax:
            row.append([list(kv) for kv in self.pax])
        return row

    @classmethod
    def from_row(cls, row: Any) -> "EntryMeta":
        """The inverse of `to_row`; ValueError if `row` is not one."""
        if not isinstance(row, list) or len(row) not in (len(_ROW_FIELDS), len(_ROW_FIELDS) + 1):
            raise ValueError("not an entry row")
        pax = row[len(_ROW_FIELDS)] if len(row) > len(_ROW_FIELDS) else []
        if not isinstance(pax, list) or not all(isinstance(kv, list) and len(kv) == 2 for kv in pax):
            raise ValueError("malformed PAX records")
        return cls(*row[: len(_ROW_FIELDS)], pax=tuple(tuple(kv) for kv in pax))  # type: ignore[arg-type]


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(EntryMeta) if f.name != "pax")
# What two entries of one path are compared by.
ENTRY_FIELDS = _ROW_FIELDS[1:]


@dataclasses.dataclass(frozen=True)
class FieldDiff:
    field: str
    a: Any
    b: Any

    def render(self) -> str:
        return f"{self.field}: {_show(self.field, self.a)} != {_show(self.field, self.b)}"


def _show(field: str, value: Any) -> str:
    if value is None:
        return "<none>"
    if field == "mode":
        return f"{value:04o}"
    if isinstance(value, str):
        return repr(value) if field != "content" else value
    return str(value)


@dataclasses.dataclass(frozen=True)
class EntryDiff:
    path: str
    only_in: str | None  # "A" or "B" when the path exists on one side only
    fields: tuple[FieldDiff, ...] = ()

    def render_lines(self) -> list[str]:
        if self.only_in:
            return [f"{self.path}: present only in {self.only_in}"]
        return [self.path] + ["  " + f.render() for f in self.fields]


@dataclasses.dataclass
class LayerComparison:
    first: EntryDiff | None = None  # smallest path, in byte order, among differing entries
    differing_entries: int = 0
    compared_by_path: bool = False  # the tars disagreed on entry order
    note: str | None = None  # why the comparison could not be done, if it could not


def _sort_key(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def entry_fields_diff(a: EntryMeta, b: EntryMeta) -> tuple[FieldDiff, ...]:
    diffs = [FieldDiff(f, getattr(a, f), getattr(b, f)) for f in ENTRY_FIELDS if getattr(a, f) != getattr(b, f)]
    pax_a, pax_b = dict(a.pax), dict(b.pax)
    for key in sorted(set(pax_a) | set(pax_b)):
        if pax_a.get(key) != pax_b.get(key):
            diffs.append(FieldDiff(f"pax_headers.{key}", pax_a.get(key), pax_b.get(key)))
    return tuple(diffs)


@contextlib.contextmanager
def blob_entries(path: str) -> Iterator[Iterator[EntryMeta]]:
    """The entries of a layer blob (any compression `tools.layer.decompress` knows), streamed."""
    with open(path, "rb") as raw, decompress.open_tar_stream(raw, f"layer blob {path}") as tf:
        yield iter_entries(tf)


def iter_entries(tf: tarfile.TarFile) -> Iterator[EntryMeta]:
    while True:
        member = tf.next()
        # TarFile remembers every member it has read; forget them so memory stays flat.
        tf.members.clear()
        if member is None:
            return
        content = None
        if member.isreg():
            digest = hashlib.sha256()
            stream = tf.extractfile(member)
            assert stream is not None
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
            content = "sha256:" + digest.hexdigest()
        pax = tuple(sorted((k, v) for k, v in member.pax_headers.items() if k not in _PAX_FOLDED))
        yield EntryMeta(
            path=member.name,
            type=_TYPE_NAMES.get(member.type, f"type {member.type!r}"),
            mode=member.mode,
            uid=member.uid,
            gid=member.gid,
            uname=member.uname,
            gname=member.gname,
            mtime=member.mtime,
            size=member.size,
            linkname=member.linkname,
            devmajor=member.devmajor,
            devminor=member.devminor,
            content=content,
            pax=pax,
        )


class _Tracker:
    """Counts differing entries and keeps only the first one in path order."""

    def __init__(self, result: LayerComparison) -> None:
        self.result = result

    def _record(self, diff: EntryDiff) -> None:
        self.result.differing_entries += 1
        first = self.result.first
        if first is None or _sort_key(diff.path) < _sort_key(first.path):
            self.result.first = diff

    def pair(self, a: EntryMeta, b: EntryMeta) -> None:
        fields = entry_fields_diff(a, b)
        if fields:
            self._record(EntryDiff(a.path, None, fields))

    def only(self, entry: EntryMeta, side: str) -> None:
        self._record(EntryDiff(entry.path, side))


class _Side:
    """One tar stream with one entry of look-ahead and a check that paths keep increasing."""

    def __init__(self, entries: Iterator[EntryMeta]) -> None:
        self.entries = entries
        self.sorted = True
        self._last: bytes | None = None
        self.head: EntryMeta | None = None
        self.advance()

    def advance(self) -> None:
        self.head = next(self.entries, None)
        if self.head is not None:
            key = _sort_key(self.head.path)
            if self._last is not None and key <= self._last:
                self.sorted = False
            self._last = key

    def rest(self) -> Iterator[EntryMeta]:
        if self.head is not None:
            yield self.head
        yield from self.entries


def compare_entry_streams(entries_a: Iterator[EntryMeta], entries_b: Iterator[EntryMeta]) -> LayerComparison:
    result = LayerComparison()
    tracker = _Tracker(result)
    a, b = _Side(entries_a), _Side(entries_b)
    # Entries a sorted merge put on one side only; provisional until both streams prove sorted.
    pending_a: dict[str, EntryMeta] = {}
    pending_b: dict[str, EntryMeta] = {}
    while a.head is not None or b.head is not None:
        if a.head is not None and b.head is not None and a.head.path == b.head.path:
            tracker.pair(a.head, b.head)
            a.advance()
            b.advance()
        elif not (a.sorted and b.sorted):
            break
        elif b.head is None or (a.head is not None and _sort_key(a.head.path) < _sort_key(b.head.path)):
            pending_a[a.head.path] = a.head
            a.advance()
        else:
            pending_b[b.head.path] = b.head
            b.advance()
    else:
        # Both streams ended. Entries set aside by the merge are final unless a stream turned
        # out unsorted, in which case they still need matching by path below.
        if (a.sorted and b.sorted) or not (pending_a or pending_b):
            for entry in pending_a.values():
                tracker.only(entry, "A")
            for entry in pending_b.values():
                tracker.only(entry, "B")
            return result

    # The orders disagree: match the rest by path. Later duplicates win, as on extraction.
    result.compared_by_path = True
    for entry in a.rest():
        pending_a[entry.path] = entry
    for entry in b.rest():
        pending_b[entry.path] = entry
    for path, entry in pending_a.items():
        other = pending_b.pop(path, None)
        if other is None:
            tracker.only(entry, "A")
        else:
            tracker.pair(entry, other)
    for entry in pending_b.values():
        tracker.only(entry, "B")
    return result


def compare_layer_blobs(path_a: str, path_b: str) -> LayerComparison:
    """Compares two layer blobs; an unreadable blob yields a comparison with a `note`."""
    side = "A"
    try:
        with blob_entries(path_a) as entries_a:
            side = "B"
            with blob_entries(path_b) as entries_b:
                side = "A or B"
                return compare_entry_streams(entries_a, entries_b)
    except UserError as e:  # a compression this Python cannot read (zstd without zstandard)
        return LayerComparison(note=f"cannot look inside the layer of {side}: {e}")
    except (tarfile.TarError,) + decompress.decoding_errors() as e:
        return LayerComparison(note=f"cannot read the layer of {side} as a tar: {e}")


def gzip_header(path: str) -> dict[str, Any] | None:
    """The gzip member header fields that tools set differently (mtime, OS, name)."""
    with open(path, "rb") as f:
        head = f.read(10)
        if len(head) < 10 or head[:2] != decompress.GZIP_MAGIC:
            return None
        flags = head[3]
        header: dict[str, Any] = {
            "flags": flags,
            "mtime": int.from_bytes(head[4:8], "little"),
            "xfl": head[8],
            "os": head[9],
            "name": None,
        }
        if flags & 0x04:  # FEXTRA
            f.read(int.from_bytes(f.read(2), "little"))
        if flags & 0x08:  # FNAME
            name = bytearray()
            while (c := f.read(1)) not in (b"", b"\x00") and len(name) < 4096:
                name += c
            header["name"] = name.decode("latin-1")
        return header
