"""LayerBuilder: collects entries, normalizes them, and writes the one canonical tar for them.

This is the one place that normalizes the bytes of a layer. Whatever order entries
are added in, whatever the source files' owners, times, umask or the process's
locale and time zone, the same set of entries gives the same bytes:

- entries are sorted by the UTF-8 bytes of their path; every missing parent
  directory is added (mode 0755); there is no root entry and no "./" prefix;
- mtime is one fixed value (default 0), uid/gid are 0, uname/gname fixed strings;
- modes never come from the file system's permission bits (a remote worker or another
  checkout reports others): a regular file's mode is the one declared for it, else the one its
  package records, else the content rule of `tools.layer.modes` (ELF executables and `#!`
  scripts 0755, everything else 0644). Explicit modes keep setuid/setgid/sticky. Members of an
  input tar keep their mode bits (& 0o7777): a package's modes are its content. Directories are
  0755 unless given a mode. Symlinks are always 0777: Linux ignores, and cannot even set, a
  symlink's mode, so any other value would only be noise;
- hard links: the paths sharing one file are written as a regular file at the first
  path in sorted order and hard links to it at the others, so a link's target always
  comes earlier in the stream. add_tree never creates hard links from inode numbers:
  whether a build system hard-linked or copied its outputs must not change the layer;
- symlink targets are data, kept verbatim: absolute targets and ones containing ".."
  resolve inside the container's root at run time, never on the build machine.

Memory is O(number of entries): file bytes are streamed at write time.
"""

from __future__ import annotations

import operator
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO, Optional

from tools.common.errors import UserError
from tools.layer import direct_output, modes, paths, tar_format, tar_reader
from tools.layer.compress import LayerOutput
from tools.layer.descriptor import MEDIA_TYPES, LayerDescriptor
from tools.layer.entry import DIR, FILE, HARDLINK, SYMLINK, Entry
from tools.layer.sources import BytesSource, FileSource, Source, SpanSource
from tools.layer.stream import ChunkWriter

__all__ = ["Entry", "LayerBuilder", "LayerDescriptor"]

DEFAULT_DIR_MODE = 0o755
REGULAR_FILE_MODE = modes.REGULAR
SYMLINK_MODE = 0o777
# A hard link's mode is its file's: until groups are resolved the link carries none of its own.
_LINK_MODE_UNSET = 0

_TYPEFLAGS = {FILE: tar_format.REGULAR, DIR: tar_format.DIRECTORY, SYMLINK: tar_format.SYMLINK,
              HARDLINK: tar_format.HARDLINK}


@dataclass
class _Node:
    path: str
    kind: str
    mode: Optional[int]  # None: a regular file whose mode follows from its content (modes.from_content)
    origin: str  # where the entry came from, for error messages
    source: Optional[Source] = None  # regular files
    target: str = ""  # symlinks and hard links
    mode_given: bool = True  # False for directories whose mode is only the default

    def file_mode(self) -> int:
        """The mode of a regular file, reading the start of its content if nothing declared one."""
        if self.mode is None:
            assert self.source is not None
            self.mode = modes.from_content(self.source.read_at(0, modes.HEAD_SIZE), self.source.read_at)
        return self.mode

    def describe(self) -> str:
        if self.kind == FILE:
            assert self.source is not None
            return f"regular file (mode {self.file_mode():04o}, {self.source.size} bytes) from {self.origin}"
        if self.kind == DIR:
            return f"directory (mode {self.mode:04o}) from {self.origin}"
        if self.kind == SYMLINK:
            return f"symlink to {self.target!r} from {self.origin}"
        return f"hard link to {self.target!r} from {self.origin}"


_name = operator.attrgetter("name")


def _explicit_mode(mode: int, what: str) -> int:
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
        raise UserError(f"{what}: mode {mode!r} is not a permission value between 0 and 0o7777")
    return mode


def _owner_name(value: str, what: str) -> bytes:
    encoded = paths.check_utf8(value, what)
    if len(encoded) > tar_format.OWNER_NAME_SIZE - 1 or b"\0" in encoded:
        raise UserError(f"{what} {value!r} must be at most {tar_format.OWNER_NAME_SIZE - 1} bytes without NUL")
    return encoded


class LayerBuilder:
    """Collects layer entries from files, memory, directory trees and tars; writes the layer.

    `tmpdir` is where decompressed input tars are spooled (default: TMPDIR).
    Call `close()` (or use `with`) to release input tars once done.
    """

    def __init__(self, *, mtime: int = 0, uname: str = "", gname: str = "",
                 tmpdir: Optional[str] = None) -> None:
        if isinstance(mtime, bool) or not isinstance(mtime, int) or not 0 <= mtime <= tar_format.MAX_MTIME:
            raise UserError(f"mtime {mtime!r} must be an integer between 0 and {tar_format.MAX_MTIME}")
        self._mtime = mtime
        self._uname = _owner_name(uname, "uname")
        self._gname = _owner_name(gname, "gname")
        self._nodes: dict[str, _Node] = {}
        self._records = modes.Records()
        self._spool = tar_reader.Spool(tmpdir)
        self._open_files: list[BinaryIO] = []

    def __enter__(self) -> LayerBuilder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for f in self._open_files:
            f.close()
        self._open_files = []
        self._spool.close()

    # Adding entries -----------------------------------------------------------------------------

    def add_mode_record(self, record: str | os.PathLike[str]) -> None:
        """Files added later from the tree that holds `record` take the modes it names."""
        self._records.add(os.fspath(record))

    def add_file(self, path: str, src: str | os.PathLike[str], mode: int | None = None) -> None:
        """A regular file whose bytes are read from `src` (symlinks followed) at write time.

        Without `mode`, the mode comes from a mode record covering `src`, else from the content.
        """
        src = os.fspath(src)
        what = f"file {src!r}"
        dest = paths.normalize(path, what)
        try:
            info = os.stat(src)
        except OSError as e:
            raise UserError(f"cannot read input file {src!r} (for {dest!r}): {e.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise UserError(f"input file {src!r} (for {dest!r}) is {kind}")
        if not os.access(src, os.R_OK):
            raise UserError(f"cannot read input file {src!r} (for {dest!r}): permission denied")
        file_mode = self._records.lookup(src) if mode is None else _explicit_mode(mode, what)
        self._put(_Node(dest, FILE, file_mode, what, FileSource(src, info.st_size)))

    def add_bytes(self, path: str, data: bytes, mode: int | None = None) -> None:
        """A regular file with the given contents (mode 0644 unless given)."""
        what = "bytes given in memory"
        dest = paths.normalize(path, what)
        file_mode = REGULAR_FILE_MODE if mode is None else _explicit_mode(mode, what)
        self._put(_Node(dest, FILE, file_mode, what, BytesSource(data)))

    def add_directory(self, path: str, mode: int | None = None) -> None:
        """A directory (mode 0755 unless given; a given mode wins over default ones)."""
        what = "directory entry"
        dest = paths.normalize(path, what)
        if mode is None:
            self._put(_Node(dest, DIR, DEFAULT_DIR_MODE, what, mode_given=False))
        else:
            self._put(_Node(dest, DIR, _explicit_mode(mode, what), what))

    def add_symlink(self, path: str, target: str) -> None:
        """A symlink; `target` is data, stored verbatim, never resolved or validated."""
        dest = paths.normalize(path, "symlink entry")
        self._put(self._symlink_node(dest, target, "symlink entry"))

    def add_hardlink(self, path: str, target: str) -> None:
        """A hard link to `target`, a regular file of this layer (added before or after)."""
        what = "hardlink entry"
        dest = paths.normalize(path, what)
        link_target = paths.normalize(target, f"{what} {dest!r} (target)")
        if link_target == dest:
            raise UserError(f"hard link {dest!r} points at itself")
        self._put(_Node(dest, HARDLINK, _LINK_MODE_UNSET, what, target=link_target))

    def add_tree(self, path: str, src_dir: str | os.PathLike[str], *, follow_symlinks: bool = False) -> None:
        """Everything below `src_dir` under `path` ("" = layer root); symlinks stay symlinks.

        With `follow_symlinks`, a symlink is replaced by what it points to: Bazel's sandbox
        presents a directory output as real directories of absolute symlinks into the output
        base, and those paths must never reach a layer.
        """
        root = os.fspath(src_dir)
        dest_root = paths.normalize(path, f"tree {root!r}", allow_empty=True)
        try:
            info = os.stat(root)
        except OSError as e:
            raise UserError(f"cannot read input directory {root!r}: {e.strerror}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise UserError(f"input directory {root!r} (for {dest_root!r}) is not a directory")
        if dest_root:
            self._put(_Node(dest_root, DIR, DEFAULT_DIR_MODE, f"tree {root!r}", mode_given=False))
        pending = [(root, dest_root, "")]
        entry_what = f"tree {root!r} entry "
        record_mode = self._records.lookup
        while pending:
            directory, dest_dir, rel_dir = pending.pop()
            try:
                with os.scandir(directory) as scan:
                    # Sorted only so that the first problem found does not depend on the file system.
                    children = sorted(scan, key=_name)
            except OSError as e:
                raise UserError(f"cannot read input directory {directory!r}: {e.strerror}") from None
            # Once per file of the tree: kept to what each entry needs (regular files first).
            for child in children:
                name = child.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                what = entry_what + repr(rel)
                paths.check_utf8(name, what)
                dest = f"{dest_dir}/{name}" if dest_dir else name
                try:
                    child_info = child.stat(follow_symlinks=False)
                    if follow_symlinks and stat.S_ISLNK(child_info.st_mode):
                        child_info = os.stat(child.path)  # dangling: FileNotFoundError, reported below
                    file_type = stat.S_IFMT(child_info.st_mode)
                    if file_type == stat.S_IFREG:
                        if not os.access(child.path, os.R_OK):
                            raise UserError(f"cannot read input file {child.path!r}: permission denied")
                        self._put(_Node(dest, FILE, record_mode(child.path), what,
                                        FileSource(child.path, child_info.st_size)))
                    elif file_type == stat.S_IFDIR:
                        self._put(_Node(dest, DIR, DEFAULT_DIR_MODE, what, mode_given=False))
                        pending.append((child.path, dest, rel))
                    elif file_type == stat.S_IFLNK:
                        self._put(self._symlink_node(dest, os.readlink(child.path), what))
                    else:
                        raise UserError(
                            f"{what} is a device, FIFO or socket; layers carry only files, directories and links"
                        )
                except OSError as e:
                    raise UserError(f"cannot read {child.path!r}: {e.strerror}") from None

    def add_tar(self, tar_path: str | os.PathLike[str], prefix: str = "", *, name: str | None = None) -> None:
        """The members of a tar (plain, gzip, xz, bzip2 or zstd, by magic bytes) under `prefix`.

        Mode bits are kept (& 0o7777, setuid included); owners and times are normalized.
        Hard links are kept and regrouped by the sorted-order rule. `name` is what messages
        call the tar (default `tar '<path>'`), for a tar that is a temporary copy of something
        the user knows by another name.
        """
        tar_path = os.fspath(tar_path)
        label = name or f"tar {tar_path!r}"
        dest_prefix = paths.normalize(prefix, f"{label} prefix", allow_empty=True)
        data, members = tar_reader.read_members(tar_path, self._spool, label)
        if not self._spool.owns(data):
            self._open_files.append(data)
        for member in members:
            what = f"{label} member {member.name!r}"
            rel = paths.normalize(member.name, what, allow_empty=True)
            if not rel:
                if member.kind == tar_reader.DIR:
                    continue  # the archive's root ("./"): a layer has no root entry
                raise UserError(f"{what} names the archive root but is not a directory")
            dest = paths.join(dest_prefix, rel)
            if member.kind == tar_reader.FILE:
                source = SpanSource(data, member.offset, member.size, what)
                self._put(_Node(dest, FILE, member.mode, what, source))
            elif member.kind == tar_reader.DIR:
                self._put(_Node(dest, DIR, member.mode, what))
            elif member.kind == tar_reader.SYMLINK:
                self._put(self._symlink_node(dest, member.linkname, what))
            else:
                target = paths.join(dest_prefix, paths.normalize(member.linkname, f"{what} (link target)"))
                if target == dest:
                    raise UserError(f"{what} is a hard link to itself")
                self._put(_Node(dest, HARDLINK, _LINK_MODE_UNSET, what, target=target))

    @staticmethod
    def _symlink_node(dest: str, target: str, what: str) -> _Node:
        if not target:
            raise UserError(f"{what}: symlink {dest!r} has an empty target")
        if "\0" in target:
            raise UserError(f"{what}: symlink target {target!r} contains a NUL byte")
        paths.check_utf8(target, what)
        return _Node(dest, SYMLINK, SYMLINK_MODE, what, target=target)

    def _put(self, node: _Node) -> None:
        """Adds `node`; merges it with an identical entry at the same path, rejects a different one."""
        existing = self._nodes.get(node.path)
        if existing is None:
            self._nodes[node.path] = node
        elif existing.kind == DIR and node.kind == DIR:
            if node.mode_given and existing.mode_given and node.mode != existing.mode:
                self._conflict(existing, node)
            if node.mode_given and not existing.mode_given:
                self._nodes[node.path] = node
        elif existing.kind != node.kind or existing.target != node.target:
            self._conflict(existing, node)
        elif node.kind == FILE:
            assert existing.source is not None and node.source is not None
            if existing.source.size != node.source.size or existing.source.sha256() != node.source.sha256():
                self._conflict(existing, node)
            # Equal content: one declared mode and one by content may agree.
            if existing.mode != node.mode and existing.file_mode() != node.file_mode():
                self._conflict(existing, node)
        elif existing.mode != node.mode:
            self._conflict(existing, node)

    @staticmethod
    def _conflict(first: _Node, second: _Node) -> None:
        one, two = sorted((first.describe(), second.describe()))
        raise UserError(f"conflicting entries for {first.path!r}: {one} vs {two}")

    # Resolving and writing ----------------------------------------------------------------------

    def _resolve(self) -> list[_Node]:
        """The final entries: implicit parents added, hard-link groups regrouped, sorted."""
        nodes = dict(self._nodes)
        for path in list(nodes):
            # Up to the first parent that is an entry of its own: its parents get checked in its turn.
            child = path
            while (cut := child.rfind("/")) != -1:
                parent = child[:cut]
                existing = nodes.get(parent)
                if existing is None:
                    nodes[parent] = _Node(parent, DIR, DEFAULT_DIR_MODE, f"parent of {path!r}", mode_given=False)
                    child = parent
                    continue
                if existing.kind != DIR:
                    raise UserError(
                        f"{parent!r} is a {existing.describe()}, but {path!r} (from {nodes[path].origin}) "
                        "needs it to be a directory"
                    )
                break
        groups: dict[str, list[str]] = {}
        for path, node in nodes.items():
            if node.kind == HARDLINK:
                groups.setdefault(self._link_root(nodes, path), []).append(path)
        final = dict(nodes)
        for root, links in groups.items():
            file = nodes[root]
            members = sorted([root, *links], key=paths.sort_key)
            leader = members[0]
            mode = file.file_mode()
            final[leader] = _Node(leader, FILE, mode, file.origin, file.source)
            for path in members[1:]:
                final[path] = _Node(path, HARDLINK, mode, nodes[path].origin, target=leader)
        # Code point order is UTF-8 byte order (paths.sort_key), and every path here is valid UTF-8.
        return [final[path] for path in sorted(final)]

    @staticmethod
    def _link_root(nodes: dict[str, _Node], path: str) -> str:
        """The regular file a hard link (possibly through other hard links) points at."""
        chain = [path]
        node = nodes[path]
        while node.kind == HARDLINK:
            target = nodes.get(node.target)
            if target is None:
                raise UserError(
                    f"hard link {node.path!r} (from {node.origin}) points at {node.target!r}, "
                    "which is not in the layer"
                )
            if target.path in chain:
                raise UserError(f"hard links form a cycle: {' -> '.join(chain + [target.path])}")
            chain.append(target.path)
            node = target
        if node.kind != FILE:
            raise UserError(
                f"hard link {path!r} (from {nodes[path].origin}) points at {node.path!r}, a "
                f"{node.kind}; hard links must point at regular files"
            )
        return node.path

    def entries(self) -> list[Entry]:
        """The normalized, sorted entries; reads every file once to give its sha256."""
        result = []
        for node in self._resolve():
            if node.kind == FILE:
                assert node.source is not None
                result.append(Entry(node.path, FILE, node.file_mode(), node.source.size, node.source.sha256()))
            else:
                assert node.mode is not None
                result.append(Entry(node.path, node.kind, node.mode, target=node.target))
        return result

    def write(self, out: BinaryIO, *, compression: str = "gzip", level: int | None = None,
              threads: int | None = None) -> LayerDescriptor:
        """Writes the layer to `out` sequentially (a pipe is fine) and describes what was written."""
        nodes = self._resolve()
        if compression == "none" and level is None and direct_output.supported(out):
            return self._write_direct(nodes, out)
        output = LayerOutput(out, compression, level, threads)
        try:
            writer = ChunkWriter(output.consume)
            header = self._header_encoder()
            for node in nodes:
                self._write_node(writer, node, header)
            writer.write(tar_format.END_OF_ARCHIVE)
            writer.close()
            return output.finish()
        except BaseException:
            output.abort()
            raise

    def _header_encoder(self) -> tar_format.HeaderEncoder:
        return tar_format.HeaderEncoder(mtime=self._mtime, uname=self._uname, gname=self._gname)

    def _write_direct(self, nodes: list[_Node], out: BinaryIO) -> LayerDescriptor:
        """An uncompressed layer into a regular file: the same bytes, contents copied in the kernel."""
        writer = direct_output.DirectWriter(out)
        header = self._header_encoder()
        try:
            for node in nodes:
                self._write_node(writer, node, header)  # type: ignore[arg-type]
            writer.write(tar_format.END_OF_ARCHIVE)
            sha256, size = writer.finish()
        except BaseException:
            writer.abort()
            raise
        digest = "sha256:" + sha256
        return LayerDescriptor(MEDIA_TYPES["none"], digest, size, digest)

    def _write_node(self, writer: ChunkWriter, node: _Node, header: tar_format.HeaderEncoder) -> None:
        kind = node.kind
        if kind == FILE:
            source = node.source
            assert source is not None
            size = source.size
            # A small file is read whole in one go; a mode that only its content gives comes from that read.
            data = source.small_bytes()
            mode = node.mode
            if mode is None:
                mode = node.file_mode() if data is None else modes.from_content(data, source.read_at)
            writer.write(header.header(node.path.encode("utf-8"), tar_format.REGULAR, mode, size))
            if data is None:
                source.copy_into(writer)
            else:
                writer.write(data)
            writer.write(tar_format.padding_for(size))
        elif kind == DIR:
            assert node.mode is not None
            writer.write(header.header(node.path.encode("utf-8") + b"/", tar_format.DIRECTORY, node.mode))
        else:
            assert node.mode is not None
            writer.write(header.header(node.path.encode("utf-8"), _TYPEFLAGS[kind], node.mode, 0,
                                       node.target.encode("utf-8")))
