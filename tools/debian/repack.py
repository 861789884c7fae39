"""Turns Debian packages (.deb) into one normalized image layer.

A .deb is an `ar` archive: `debian-binary` ("2.0"), `control.tar[.gz|.xz|.zst]`
and `data.tar[.xz|.zst|.gz|.bz2]`. The ar archive is parsed here, streaming,
with the standard library; the data member is copied to a temporary file and
handed to the project's one layer writer (`tools.layer.builder.LayerBuilder`),
which normalizes owners, times and order and rejects hostile members.

Maintainer scripts are not run; the few effects images need (the CA bundle, the Java trust
store, the JRE's alternatives) are made from the packages' data by `postinst.py`.

Per package the layer also gets `var/lib/dpkg/status.d/<package>`: the
package's control paragraph (fields in their original order) with
`Status: install ok installed` right after `Package:` - the position dpkg
uses in its status file - so that scanners (syft, trivy) see the package, the
way distroless images do; and `var/lib/dpkg/status.d/<package>.md5sums` when
the package ships md5sums.

Hostile members (`..` components, absolute paths, device nodes, FIFOs) make
the whole repack fail with a message naming the .deb and the member; symlink
targets are data and kept verbatim (they resolve inside the container).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import tempfile
from typing import BinaryIO, Iterator, Sequence

from tools.common.errors import UserError
from tools.debian import postinst
from tools.debian.control import parse_paragraphs
from tools.layer import decompress, tar_reader
from tools.layer.builder import LayerBuilder
from tools.layer.descriptor import LayerDescriptor

AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60
_CONTROL_LIMIT = 64 << 20  # control.tar is metadata; refuse absurd sizes instead of reading them into memory
STATUS_DIR = "var/lib/dpkg/status.d"
# What dpkg-deb accepts, and the compression each name promises.
_CONTROL_KINDS = {"": None, ".gz": decompress.GZIP, ".xz": decompress.XZ, ".zst": decompress.ZSTD}
_DATA_SUFFIXES = ("", ".xz", ".zst", ".gz", ".bz2")


@dataclasses.dataclass(frozen=True)
class ArMember:
    name: str
    size: int


def iter_ar(f: BinaryIO, *, source: str) -> Iterator[tuple[ArMember, "_Limited"]]:
    """Yields each member of an ar archive with a reader limited to its data.

    Streaming: unread member data is skipped when the next member is requested.
    """
    if f.read(len(AR_MAGIC)) != AR_MAGIC:
        raise UserError(f"{source}: not a Debian package (no ar archive magic)")
    while True:
        header = f.read(_AR_HEADER)
        if not header:
            return
        if len(header) != _AR_HEADER or header[58:60] != b"`\n":
            raise UserError(f"{source}: corrupt ar member header")
        raw_name = header[0:16].rstrip(b" ")
        if raw_name.endswith(b"/") and raw_name != b"/":
            raw_name = raw_name[:-1]  # GNU ar terminates names with "/"
        try:
            name = raw_name.decode("ascii")
            size = int(header[48:58].decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            raise UserError(f"{source}: corrupt ar member header {header[:16]!r}") from None
        if size < 0:
            raise UserError(f"{source}: corrupt ar member size for {name!r}")
        reader = _Limited(f, size, f"{source} member {name!r}")
        yield ArMember(name, size), reader
        reader.skip_rest()
        if size % 2 and f.read(1) not in (b"\n", b""):
            raise UserError(f"{source}: corrupt ar padding after {name!r}")


class _Limited(io.RawIOBase):
    """Reads at most `size` bytes of `f`; a short read means a truncated archive."""

    def __init__(self, f: BinaryIO, size: int, what: str):
        self._f = f
        self._left = size
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: min(len(buffer), self._left)]
        n = self._f.readinto(view)  # type: ignore[attr-defined]
        if not n:
            raise UserError(f"{self._what} is truncated")
        self._left -= n
        return n

    def skip_rest(self) -> None:
        while self._left > 0:
            chunk = self._f.read(min(self._left, 1 << 20))
            if not chunk:
                raise UserError(f"{self._what} is truncated")
            self._left -= len(chunk)


@dataclasses.dataclass(frozen=True)
class DebInfo:
    path: str
    package: str
    version: str
    architecture: str
    control: str  # the control file's text
    md5sums: bytes | None
    data_member: str
    postinst: str | None = None  # the postinst maintainer script's text


def _read_control_tar(data: bytes, suffix: str, what: str) -> tuple[str, bytes | None, str | None]:
    """`control`, `md5sums` and `postinst` of a control.tar member, whatever its compression.

    Decompressed and listed whole (it is small), so a member cut short is reported as truncated
    rather than read as a shorter archive."""
    control = None
    md5sums = None
    postinst = None
    kind = decompress.detect(data[: decompress.MAGIC_LENGTH])
    named = _CONTROL_KINDS[suffix]
    if kind != named:
        if named is None:
            raise UserError(f"{what} holds {kind} data, but a member named so must be a plain tar; the package is "
                            "corrupt")
        raise UserError(f"{what} is not {named} data" + (f" (it is {kind})" if kind else "") + "; the package is corrupt")
    plain = decompress.decompress_bytes(data, kind, what)
    for member in tar_reader.list_tar(io.BytesIO(plain), 0, len(plain), what):
        name = member.name[2:] if member.name.startswith("./") else member.name
        if name not in ("control", "md5sums", "postinst"):
            continue
        if member.kind != tar_reader.FILE:
            raise UserError(f"{what}: {member.name!r} is not a regular file")
        content = plain[member.offset: member.offset + member.size]
        if name == "control":
            control = content
        elif name == "md5sums":
            md5sums = content
        else:
            postinst = content.decode("utf-8", errors="replace")
    if control is None:
        raise UserError(f"{what} has no control file")
    try:
        return control.decode("utf-8"), md5sums, postinst
    except UnicodeDecodeError:
        raise UserError(f"{what}: control file is not UTF-8") from None


def read_deb(path: str, data_dest: str | None) -> DebInfo:
    """Reads a .deb's control data; copies its data.tar member to `data_dest` (if given)."""
    control_text: str | None = None
    md5sums: bytes | None = None
    postinst_text: str | None = None
    data_member: str | None = None
    try:
        f = open(path, "rb")
    except OSError as e:
        raise UserError(f"cannot read package {path}: {e.strerror}") from None
    with f:
        for i, (member, reader) in enumerate(iter_ar(f, source=path)):
            if i == 0:
                if member.name != "debian-binary" or not reader.read(member.size).startswith(b"2."):
                    raise UserError(f"{path}: not a Debian binary package (first member must be debian-binary 2.x)")
                continue
            if member.name.startswith("control.tar"):
                suffix = member.name[len("control.tar"):]
                if suffix not in _CONTROL_KINDS or control_text is not None:
                    raise UserError(f"{path}: unexpected member {member.name!r}")
                if member.size > _CONTROL_LIMIT:
                    raise UserError(f"{path}: {member.name} is implausibly large ({member.size} bytes)")
                control_text, md5sums, postinst_text = _read_control_tar(reader.read(member.size), suffix,
                                                                         f"{path}: {member.name}")
            elif member.name.startswith("data.tar"):
                suffix = member.name[len("data.tar"):]
                if suffix not in _DATA_SUFFIXES or data_member is not None:
                    raise UserError(f"{path}: unexpected member {member.name!r}")
                data_member = member.name
                if data_dest is not None:
                    with open(data_dest, "wb") as out:
                        shutil.copyfileobj(reader, out, 1 << 20)
            elif member.name.startswith("_"):
                continue  # dpkg-deb ignores members starting with "_"
            else:
                raise UserError(f"{path}: unexpected ar member {member.name!r} in a Debian package")
    if control_text is None or data_member is None:
        raise UserError(f"{path}: not a complete Debian package (needs control.tar* and data.tar*)")
    paragraphs = parse_paragraphs(control_text, source=f"{path}: control")
    if len(paragraphs) != 1:
        raise UserError(f"{path}: control file must hold one paragraph, found {len(paragraphs)}")
    fields = paragraphs[0]
    for field in ("package", "version", "architecture"):
        if not fields.get(field):
            raise UserError(f"{path}: control file has no {field.capitalize()} field")
    return DebInfo(path, fields["package"], fields["version"], fields["architecture"], control_text, md5sums,
                   data_member, postinst_text)


def status_record(control: str) -> bytes:
    """The control paragraph with `Status: install ok installed` right after its Package field."""
    lines = [line for line in control.strip("\n").split("\n") if not line.startswith("Status:")]
    for i, line in enumerate(lines):
        if ":" in line and not line[:1].isspace() and line.split(":", 1)[0].strip().lower() == "package":
            lines.insert(i + 1, "Status: install ok installed")
            return ("\n".join(lines) + "\n").encode("utf-8")
    raise UserError("control file has no Package field")


def repack(
    debs: Sequence[str],
    out: BinaryIO,
    *,
    compression: str = "gzip",
    level: int | None = None,
    threads: int | None = None,
    md5sums: bool = True,
    tmpdir: str | None = None,
) -> LayerDescriptor:
    """Writes one layer holding the contents and dpkg status records of `debs` to `out`.

    The bytes depend only on the set of packages, never on the order of `debs`.
    Two packages with the same name, or two packages with different content at
    one path, are an error.
    """
    if not debs:
        raise UserError("no .deb given")
    with contextlib.ExitStack() as stack:
        work = stack.enter_context(tempfile.TemporaryDirectory(prefix="deb-repack-", dir=tmpdir))
        builder = stack.enter_context(LayerBuilder(mtime=0, tmpdir=work))
        infos: list[tuple[DebInfo, str]] = []
        # Sorted so that errors, like the output, do not depend on the argument order.
        for i, deb in enumerate(sorted(set(debs))):
            data_path = os.path.join(work, f"{i}.data")
            infos.append((read_deb(deb, data_path), data_path))
        by_name: dict[str, DebInfo] = {}
        for info, _ in infos:
            other = by_name.get(info.package)
            if other is not None:
                raise UserError(
                    f"package {info.package} given twice: {other.path} ({other.version}) and {info.path} ({info.version})"
                )
            by_name[info.package] = info
        for info, data_path in sorted(infos, key=lambda x: x[0].package):
            # Named as the user knows it: the package's member, not the temporary copy.
            builder.add_tar(data_path, name=f"{info.path}: {info.data_member}")
            builder.add_bytes(f"{STATUS_DIR}/{info.package}", status_record(info.control), mode=0o644)
            if md5sums and info.md5sums is not None:
                builder.add_bytes(f"{STATUS_DIR}/{info.package}.md5sums", info.md5sums, mode=0o644)
        packages = [postinst.Package(info.package, info.path, data_path, info.postinst) for info, data_path in infos]
        for effect in postinst.effects(packages):
            if effect.symlink is not None:
                builder.add_symlink(effect.path, effect.symlink)
            else:
                assert effect.data is not None
                builder.add_bytes(effect.path, effect.data, mode=0o644)
        return builder.write(out, compression=compression, level=level, threads=threads)
