"""deb_tree: unpacks the data members of Debian packages into one directory tree, with a mode record.

    python3 -B -S -m tools.debian.deb_tree --data NAME=data.tar.xz [--data ...] --output DIR

Run by the `deb.tree` repository rule (rules/private/deb_repositories.bzl) with the machine's
python3, before any pip package exists, so it uses the standard library only (argparse, not
absl). The tree is what toolchains run (an interpreter, a JDK, a compiler); the record is what
image layers take the files' modes from, because a remote worker or another checkout reports
other permission bits than the packages declare (tools/layer/modes.py).

- Absolute symlinks point at the target system's root; inside a repository they would point at
  the build machine's. They are repointed relative to the tree (`/etc/x` from `usr/lib/y` becomes
  `../../etc/x`). Links that still lead nowhere (into packages not in the tree) are removed:
  Bazel's glob refuses dangling links.
- Hard links become hard links inside the tree; paths escaping the tree, devices and FIFOs are
  rejected (tools/layer/tar_reader.py). Two packages with different content at one path are an
  error naming both.
- The record `deb_tree.modes` names every regular file as Bazel's glob sees the tree (through
  symlinks too) with the mode of the file it resolves to, from the packages' tar headers.
- With `--lock`, `deb_tree.packages.json` records which packages the tree holds: each one's
  lock entry (name, version, architecture, sha256, URLs) plus the Source field of its control
  file, the lock's label and sha256. Image layers that take files from the tree hand it to the
  SBOM (an interpreter in a runfiles tree has no dpkg status record to show what it is).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from typing import BinaryIO, Sequence

from tools.common.errors import UserError, run_main
from tools.layer import decompress, modes, paths, tar_reader

TOOL = "deb_tree"
_COPY = 1 << 20
PACKAGES_RECORD = "deb_tree.packages.json"
PACKAGES_FORMAT = "reproimage deb tree packages"


@dataclass
class _Item:
    kind: str
    mode: int
    package: str
    target: str = ""  # links
    data: BinaryIO | None = None  # regular files: where their bytes are
    offset: int = 0
    size: int = 0


def _collect(packages: Sequence[tuple[str, str]], spool: tar_reader.Spool) -> dict[str, _Item]:
    items: dict[str, _Item] = {}
    for package, data_tar in packages:
        data, members = tar_reader.read_members(data_tar, spool)
        for member in members:
            what = f"package {package}: data.tar member {member.name!r}"
            rel = paths.normalize(member.name, what, allow_empty=True)
            if not rel:
                continue
            item = _Item(member.kind, member.mode, package, member.linkname, data, member.offset, member.size)
            if member.kind == tar_reader.HARDLINK:
                item.target = paths.normalize(member.linkname, f"{what} (link target)")
            existing = items.get(rel)
            if existing is None or (existing.kind == tar_reader.DIR and item.kind == tar_reader.DIR):
                items.setdefault(rel, item)
            elif not _same(existing, item):
                raise UserError(f"{rel!r} is a {existing.kind} in package {existing.package} and a different "
                                f"{item.kind} in package {item.package}; one tree cannot hold both")
    return items


def _same(a: _Item, b: _Item) -> bool:
    if a.kind != b.kind or a.mode != b.mode or a.target != b.target or a.size != b.size:
        return False
    return a.kind != tar_reader.FILE or _read(a) == _read(b)


def _read(item: _Item) -> bytes:
    assert item.data is not None
    item.data.seek(item.offset)
    return item.data.read(item.size)


def _relative_target(link: str, target: str) -> str:
    """`target` as the unpacked tree must spell it to resolve as on the target system.

    Relative targets stay verbatim unless they climb above the root (where the system's `..`
    stops); absolute ones, and those, are rewritten relative to the link's directory.
    """
    parts: list[str] = [] if target.startswith("/") else link.split("/")[:-1]
    climbs_out = False
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif parts:
            parts.pop()
        else:
            climbs_out = True
    if not target.startswith("/") and not climbs_out:
        return target
    return "/".join([".."] * link.count("/") + parts) or "."


def _write(items: dict[str, _Item], out: str) -> None:
    for rel in sorted(items, key=paths.sort_key):
        item = items[rel]
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if item.kind == tar_reader.DIR:
            os.makedirs(dest, exist_ok=True)
        elif item.kind == tar_reader.FILE:
            assert item.data is not None
            item.data.seek(item.offset)
            # The owner keeps write permission: Bazel must be able to replace the repository.
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, (item.mode & 0o777) | 0o200)
            with os.fdopen(fd, "wb") as f:
                left = item.size
                while left:
                    chunk = item.data.read(min(left, _COPY))
                    if not chunk:
                        raise UserError(f"package {item.package}: {rel!r} is truncated in its data.tar")
                    f.write(chunk)
                    left -= len(chunk)
            os.chmod(dest, (item.mode & 0o777) | 0o200)
        elif item.kind == tar_reader.SYMLINK:
            os.symlink(_relative_target(rel, item.target), dest)
    for rel in sorted(items, key=paths.sort_key):  # after every file exists, whatever the order
        item = items[rel]
        if item.kind == tar_reader.HARDLINK:
            source = items.get(item.target)
            if source is None or source.kind != tar_reader.FILE:
                raise UserError(f"package {item.package}: hard link {rel!r} points at {item.target!r}, "
                                "which is not a regular file of the tree")
            os.link(os.path.join(out, item.target), os.path.join(out, rel))


def _remove_dangling(items: dict[str, _Item], out: str) -> None:
    links = [rel for rel, item in items.items() if item.kind == tar_reader.SYMLINK]
    while True:  # removing one link can leave a link to it dangling
        dangling = [rel for rel in links if not os.path.exists(os.path.join(out, rel))]
        if not dangling:
            return
        for rel in dangling:
            os.unlink(os.path.join(out, rel))
            links.remove(rel)
            del items[rel]


def _record(items: dict[str, _Item], out: str) -> dict[str, int]:
    """The mode of every regular file reachable as Bazel's glob walks the tree (symlinks followed)."""
    real_out = os.path.realpath(out)
    file_modes = {rel: item.mode for rel, item in items.items() if item.kind == tar_reader.FILE}
    file_modes.update({rel: file_modes[item.target] for rel, item in items.items()
                       if item.kind == tar_reader.HARDLINK})
    record: dict[str, int] = {}

    def add(path: str) -> None:
        rel = os.path.relpath(path, out)
        real = os.path.relpath(os.path.realpath(path), real_out)
        if real not in file_modes:
            raise UserError(f"{rel!r} resolves to {real!r}, which no package of the tree provides")
        record[rel] = file_modes[real]

    def walk(directory: str, ancestors: frozenset[str]) -> None:
        real_dir = os.path.realpath(directory)
        if real_dir in ancestors:  # a symlink cycle: glob does not go round it either
            return
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if os.path.isdir(path):
                walk(path, ancestors | {real_dir})
            elif os.path.isfile(path):
                add(path)

    # Only what the packages put there: the caller may keep other files in `out`.
    for top in sorted({rel.split("/", 1)[0] for rel in items}):
        top_path = os.path.join(out, top)
        if os.path.isdir(top_path):
            walk(top_path, frozenset())
        elif os.path.isfile(top_path):
            add(top_path)
    return record


def unpack(packages: Sequence[tuple[str, str]], out: str) -> int:
    """Unpacks the data tars of `packages` ((name, data.tar path), in order) into `out`; returns the file count."""
    os.makedirs(out, exist_ok=True)
    spool = tar_reader.Spool(out)
    try:
        items = _collect(packages, spool)
        _write(items, out)
    finally:
        spool.close()
    _remove_dangling(items, out)
    record = _record(items, out)
    with open(os.path.join(out, modes.RECORD_NAME), "wb") as f:
        f.write(modes.format_record(record))
    return len(record)


def control_fields(control_tar: str, what: str) -> dict[str, str]:
    """The top-level fields of the `control` file in a package's control.tar (lower-case names)."""
    with open(control_tar, "rb") as raw, decompress.open_tar_stream(raw, what) as tar:
        for info in tar:
            if info.name.lstrip("./") == "control" and info.isreg():
                text = tar.extractfile(info).read().decode("utf-8", errors="replace")  # type: ignore[union-attr]
                break
        else:
            raise UserError(f"{what} has no control file")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line[:1] not in ("", " ", "\t") and ":" in line:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
    return fields


def packages_record(lock_path: str, lock_label: str, controls: Sequence[tuple[str, str]]) -> bytes:
    """The content of deb_tree.packages.json for the packages named in `controls`."""
    try:
        with open(lock_path, "rb") as f:
            raw = f.read()
        lock = json.loads(raw)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read the lock {lock_path}: {e}") from None
    entries = {p.get("name"): p for p in lock.get("packages", []) if isinstance(p, dict)}
    packages = []
    for name, control_tar in controls:
        entry = entries.get(name)
        if entry is None:
            raise UserError(f"package {name} is not in the lock {lock_label}")
        fields = control_fields(control_tar, f"package {name}: {os.path.basename(control_tar)}")
        for field in ("version", "architecture"):
            if fields.get(field) != entry.get(field):
                raise UserError(f"package {name}: control says {field} {fields.get(field)!r}, the lock "
                                f"{lock_label} says {entry.get(field)!r}")
        # "Source: name (version)" when the source version differs from the binary's.
        source, _, source_version = (fields.get("source") or name).partition(" ")
        packages.append({
            "name": name,
            "version": entry["version"],
            "architecture": entry["architecture"],
            "sha256": entry["sha256"],
            "urls": entry.get("urls", []),
            "filename": entry.get("filename", ""),
            "suite": entry.get("suite", ""),
            "source": source,
            "source_version": source_version.strip("()") or entry["version"],
        })
    record = {
        "format": PACKAGES_FORMAT,
        "lock": lock_label,
        "lock_sha256": hashlib.sha256(raw).hexdigest(),
        "packages": sorted(packages, key=lambda p: p["name"]),
    }
    return (json.dumps(record, sort_keys=True, indent=1) + "\n").encode("utf-8")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{message} (usage: {TOOL} --data NAME=PATH [--data ...] --output DIR; see --help)")


def _main(argv: Sequence[str]) -> int:
    parser = _Parser(prog=TOOL, description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", action="append", required=True, metavar="NAME=PATH",
                        help="a package's data.tar (repeatable, in lock order)")
    parser.add_argument("--control", action="append", default=[], metavar="NAME=PATH",
                        help="a package's control.tar (repeatable), for deb_tree.packages.json")
    parser.add_argument("--lock", help="the lock the packages come from: writes deb_tree.packages.json")
    parser.add_argument("--lock_label", help="how the packages record names the lock")
    parser.add_argument("--output", required=True, help="the directory to unpack into")
    args = parser.parse_args(argv)
    packages = []
    for value in args.data:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise UserError(f"--data {value!r}: expected NAME=PATH")
        packages.append((name, path))
    unpack(packages, args.output)
    if args.lock:
        controls = []
        for value in args.control:
            name, sep, path = value.partition("=")
            if not sep or not name or not path:
                raise UserError(f"--control {value!r}: expected NAME=PATH")
            controls.append((name, path))
        record = packages_record(args.lock, args.lock_label or args.lock, controls)
        with open(os.path.join(args.output, PACKAGES_RECORD), "wb") as f:
            f.write(record)
    return 0


def main() -> None:
    # run_main, not run_cli: the flags are argparse's, there is no absl-py here.
    run_main(TOOL, _main, sys.argv[1:])


if __name__ == "__main__":
    main()
