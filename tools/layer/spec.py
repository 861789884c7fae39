"""The layer spec (JSON) and how it drives a LayerBuilder. Standard library only.

    {"entries": [{"path": "app/bin/tool", "type": "file", "src": "bazel-out/.../tool", "mode": "0755"},
                 {"path": "app/data", "type": "dir"},
                 {"path": "usr/bin/python3", "type": "symlink", "target": "python3.11"},
                 {"path": "a/b", "type": "hardlink", "target": "a/c"},
                 {"path": "opt/tree", "type": "tree", "src": "some/dir", "follow_symlinks": true},
                 {"path": "", "type": "tar", "src": "data.tar.xz"}],
     "mode_records": ["external/python_interpreter/deb_tree.modes"],
     "uname": "", "gname": ""}

"src" paths are relative to the working directory (Bazel's execroot), not to the
spec file. "mode" is an optional octal string for "file" and "dir" entries; a file
without one takes its mode from a mode record covering its "src", else from its
content (tools.layer.modes).
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from tools.common.errors import UserError
from tools.layer.builder import LayerBuilder

_FIELDS = {
    "file": ({"path", "type", "src"}, {"mode"}),
    "dir": ({"path", "type"}, {"mode"}),
    "symlink": ({"path", "type", "target"}, set()),
    "hardlink": ({"path", "type", "target"}, set()),
    "tree": ({"path", "type", "src"}, {"follow_symlinks"}),
    "tar": ({"path", "type", "src"}, set()),
}
_TOP_LEVEL = {"entries", "mode_records", "uname", "gname"}
_BOOLEAN_FIELDS = {"follow_symlinks"}
_OCTAL = re.compile(r"[0-7]{1,5}")


def load(spec_path: str) -> dict[str, Any]:
    """Reads and validates the spec; every problem is a one-line UserError naming file and field."""
    try:
        with open(spec_path, "rb") as f:
            spec = json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise UserError(f"cannot read spec {spec_path!r}: {e.strerror}") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise UserError(f"{spec_path}: not valid UTF-8 JSON: {e}") from None
    if not isinstance(spec, dict):
        raise UserError(f"{spec_path}: the spec must be a JSON object with an \"entries\" list")
    unknown = sorted(set(spec) - _TOP_LEVEL)
    if unknown:
        raise UserError(f"{spec_path}: unknown field {unknown[0]!r}; allowed: {', '.join(sorted(_TOP_LEVEL))}")
    if not isinstance(spec.get("entries"), list):
        raise UserError(f"{spec_path}: field \"entries\" must be a list of entry objects")
    for key in ("uname", "gname"):
        if not isinstance(spec.get(key, ""), str):
            raise UserError(f"{spec_path}: field {key!r} must be a string")
    records = spec.get("mode_records", [])
    if not isinstance(records, list) or not all(isinstance(r, str) and r for r in records):
        raise UserError(f"{spec_path}: field \"mode_records\" must be a list of paths of mode records")
    for index, entry in enumerate(spec["entries"]):
        _check_entry(spec_path, index, entry)
    return spec


def _check_entry(spec_path: str, index: int, entry: Any) -> None:
    where = f"{spec_path}: entries[{index}]"
    if not isinstance(entry, dict):
        raise UserError(f"{where}: must be an object with \"path\" and \"type\"")
    kind = entry.get("type")
    if kind not in _FIELDS:
        raise UserError(f"{where}.type: {kind!r} is not one of {', '.join(sorted(_FIELDS))}")
    required, optional = _FIELDS[kind]
    for field in sorted(required - set(entry)):
        raise UserError(f"{where}.{field}: missing (a {kind!r} entry needs {', '.join(sorted(required))})")
    for field in sorted(set(entry) - required - optional):
        raise UserError(f"{where}.{field}: not a field of a {kind!r} entry")
    for field in sorted(set(entry) - {"type"}):
        wanted = bool if field in _BOOLEAN_FIELDS else str
        if not isinstance(entry[field], wanted):
            raise UserError(f"{where}.{field}: must be a {'boolean' if wanted is bool else 'string'}")
    if "mode" in entry:
        mode = entry["mode"]
        if not _OCTAL.fullmatch(mode) or int(mode, 8) > 0o7777:
            raise UserError(f"{where}.mode: {mode!r} is not an octal mode like \"0755\" (at most 7777)")


def _mode(entry: dict[str, Any]) -> Optional[int]:
    return int(entry["mode"], 8) if "mode" in entry else None


def apply(spec: dict[str, Any], builder: LayerBuilder, spec_path: str) -> None:
    """Adds the spec's entries to `builder`; errors name the spec file and entry."""
    for record in spec.get("mode_records", []):
        try:
            builder.add_mode_record(record)
        except UserError as e:
            raise UserError(f"{spec_path}: mode_records: {e}") from None
    for index, entry in enumerate(spec["entries"]):
        kind, path = entry["type"], entry["path"]
        try:
            if kind == "file":
                builder.add_file(path, entry["src"], _mode(entry))
            elif kind == "dir":
                builder.add_directory(path, _mode(entry))
            elif kind == "symlink":
                builder.add_symlink(path, entry["target"])
            elif kind == "hardlink":
                builder.add_hardlink(path, entry["target"])
            elif kind == "tree":
                builder.add_tree(path, entry["src"], follow_symlinks=entry.get("follow_symlinks", False))
            else:
                builder.add_tar(entry["src"], prefix=path)
        except UserError as e:
            raise UserError(f"{spec_path}: entries[{index}] ({kind} {path!r}): {e}") from None


def builder_from_spec(spec_path: str, *, mtime: int, tmpdir: Optional[str] = None) -> LayerBuilder:
    """A LayerBuilder holding the spec's entries (the caller closes it)."""
    spec = load(spec_path)
    try:
        builder = LayerBuilder(mtime=mtime, uname=spec.get("uname", ""), gname=spec.get("gname", ""),
                               tmpdir=tmpdir)
    except UserError as e:
        raise UserError(f"{spec_path}: {e}") from None
    try:
        apply(spec, builder, spec_path)
    except BaseException:
        builder.close()
        raise
    return builder
