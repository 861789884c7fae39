"""The JSON spec of one boot jar (what the `spring_boot_jar` rule writes), read and checked.

    {"loader": "path/spring-boot-loader.jar",
     "classes": ["path/libapp.jar"],
     "libs": [{"name": "jcommander-1.82.jar", "path": "...", "application": false}, ...],
     "start_class": "com.example.App",
     "launcher_class": "org.springframework.boot.loader.launch.JarLauncher",
     "spring_boot_version": "3.5.7",
     "build_target": "//app:app",
     "lib_order": "sorted",
     "dupeclassescheck": true,
     "dupeclassescheck_ignorelist": "path/ignore.txt",
     "banned": ["junit", "mockito"]}

`loader`, `classes` and `start_class` are required; `libs` are in classpath order. Paths are
relative to the working directory (Bazel's execroot). Unknown fields are errors.
"""

from __future__ import annotations

from typing import Any

from tools.bootjar import checks
from tools.bootjar.layout import DEFAULT_LAUNCHER, BootJarSpec, Lib
from tools.common.errors import UserError
from tools.common.json_file import load_json

_FIELDS = {"loader", "classes", "libs", "start_class", "launcher_class", "spring_boot_version", "build_target",
           "lib_order", "dupeclassescheck", "dupeclassescheck_ignorelist", "banned"}
_LIB_FIELDS = {"name", "path", "application"}


def load_spec(path: str) -> BootJarSpec:
    raw = load_json(path, "spec")
    try:
        return parse_spec(raw)
    except UserError as e:
        raise UserError(f"spec {path}: {e}") from None


def parse_spec(raw: Any) -> BootJarSpec:
    if not isinstance(raw, dict):
        raise UserError("must be a JSON object")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise UserError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}")
    for required in ("loader", "classes", "start_class"):
        if required not in raw:
            raise UserError(f"the field {required!r} is required")
    ignorelist = _string(raw, "dupeclassescheck_ignorelist", "")
    return BootJarSpec(
        loader=_string(raw, "loader"),
        classes=tuple(_strings(raw, "classes")),
        libs=tuple(_lib(item, i) for i, item in enumerate(_list(raw, "libs"))),
        start_class=_string(raw, "start_class"),
        launcher_class=_string(raw, "launcher_class", DEFAULT_LAUNCHER),
        spring_boot_version=_string(raw, "spring_boot_version", "") or None,
        build_target=_string(raw, "build_target", ""),
        lib_order=_string(raw, "lib_order", "sorted"),
        dupe_check=_bool(raw, "dupeclassescheck", True),
        dupe_ignorelist=checks.read_ignorelist(ignorelist) if ignorelist else frozenset(),
        banned=tuple(_strings(raw, "banned", list(checks.DEFAULT_BANNED))),
    )


def _lib(item: Any, index: int) -> Lib:
    if not isinstance(item, dict) or set(item) - _LIB_FIELDS or not {"name", "path"} <= set(item):
        raise UserError(f"libs[{index}] must be an object with name, path and optionally application")
    return Lib(name=_string(item, "name"), path=_string(item, "path"),
               application=_bool(item, "application", False))


def _list(raw: dict[str, Any], key: str, default: list[Any] | None = None) -> list[Any]:
    value = raw.get(key, [] if default is None else default)
    if not isinstance(value, list):
        raise UserError(f"{key!r} must be a list")
    return value


def _strings(raw: dict[str, Any], key: str, default: list[str] | None = None) -> list[str]:
    value = _list(raw, key, default)
    if not all(isinstance(v, str) for v in value):
        raise UserError(f"{key!r} must be a list of strings")
    return value


def _string(raw: dict[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise UserError(f"{key!r} must be a non-empty string")
    return value


def _bool(raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise UserError(f"{key!r} must be true or false")
    return value
