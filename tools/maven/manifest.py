"""The TOML manifest of one Maven dependency set (toolchains/maven/<name>.toml).

    repositories = ["https://repo1.maven.org/maven2/"]      # optional; searched in order
    boms = ["org.springframework.boot:spring-boot-dependencies:3.5.7"]
    jdk = "17"                                               # optional: java.version for profiles
    exclusions = ["commons-logging:commons-logging"]        # optional: on every dependency
    dependencies = [
      "org.springframework.boot:spring-boot-starter-web",    # version from a BOM
      "com.beust:jcommander:1.82",
      { coordinates = "org.junit.jupiter:junit-jupiter", scope = "test" },
      { coordinates = "org.example:natives:1.0", classifier = "linux-x86_64", exclusions = ["*:*"] },
    ]
    managed = ["org.yaml:snakeyaml:2.4"]                     # optional: own dependencyManagement

A dependency is `group:artifact[:version]` or a table with `coordinates` and any of `scope`
(compile, runtime, provided, test), `type` (jar, pom, test-jar, ...), `classifier`, `optional`,
`exclusions` (`group:artifact`, either may be `*`). `managed` entries take the same forms and
win over the BOMs, as a POM's own dependencyManagement wins over its imports. Unknown keys are
errors, so that a typo never silently changes what is locked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from typing import Any

from tools.common import lock_files
from tools.common.errors import UserError
from tools.maven import coordinates
from tools.maven.model_builder import Managed
from tools.maven.repository import DEFAULT_REPOSITORY
from tools.maven.resolver import RootProject

_TOP_KEYS = {"repositories", "boms", "jdk", "exclusions", "dependencies", "managed"}
_ENTRY_KEYS = {"coordinates", "scope", "type", "classifier", "optional", "exclusions"}
_SCOPES = ("compile", "runtime", "provided", "test")
_JDK_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@dataclasses.dataclass(frozen=True)
class Manifest:
    path: str
    sha256: str
    repositories: tuple[str, ...]
    jdk: str
    project: RootProject

    @property
    def name(self) -> str:
        base = os.path.basename(self.path)
        return base[: -len(".toml")] if base.endswith(".toml") else base


def _ids(path: str, where: str, text: str, parts: int | tuple[int, ...]) -> list[str]:
    fields = text.split(":")
    allowed = (parts,) if isinstance(parts, int) else parts
    if len(fields) not in allowed or not all(coordinates.valid_id(f) for f in fields[:2]) or \
            not all(coordinates.valid_version(f) for f in fields[2:]):
        shapes = " or ".join(["group:artifact", "group:artifact:version"][n - 2] for n in allowed)
        raise UserError(f"{path}: {where} {text!r} is not {shapes}")
    return fields


def _exclusions(path: str, where: str, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{path}: {where} must be a list of \"group:artifact\" strings")
    result = []
    for v in value:
        fields = v.split(":")
        if len(fields) != 2 or not all(f == "*" or coordinates.valid_id(f) for f in fields):
            raise UserError(f"{path}: {where} entry {v!r} is not group:artifact (either may be *)")
        result.append((fields[0], fields[1]))
    return tuple(result)


def _entry(path: str, where: str, value: Any, *, managed: bool) -> Managed:
    if isinstance(value, str):
        value = {"coordinates": value}
    if not isinstance(value, dict):
        raise UserError(f"{path}: {where} must be a \"group:artifact[:version]\" string or a table")
    unknown = sorted(set(value) - _ENTRY_KEYS)
    if unknown:
        raise UserError(f"{path}: {where} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_ENTRY_KEYS))}")
    text = value.get("coordinates")
    if not isinstance(text, str):
        raise UserError(f"{path}: {where} needs coordinates = \"group:artifact[:version]\"")
    fields = _ids(path, where, text, 3 if managed else (2, 3))
    scope = value.get("scope")
    if scope is not None and scope not in _SCOPES:
        raise UserError(f"{path}: {where} ({text}): scope must be one of {', '.join(_SCOPES)}, got {scope!r}")
    for key in ("type", "classifier"):
        if key in value and (not isinstance(value[key], str) or not coordinates.valid_version(value[key])):
            raise UserError(f"{path}: {where} ({text}): {key} must be a word such as jar or linux-x86_64")
    optional = value.get("optional")
    if optional is not None and not isinstance(optional, bool):
        raise UserError(f"{path}: {where} ({text}): optional must be true or false")
    return Managed(
        group=fields[0],
        artifact=fields[1],
        version=fields[2] if len(fields) == 3 else None,
        type=value.get("type", "jar"),
        classifier=value.get("classifier", ""),
        scope=scope,
        optional=optional,
        system_path=None,
        exclusions=_exclusions(path, f"{where} ({text}) exclusions", value.get("exclusions", [])),
    )


def _list(path: str, key: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise UserError(f"{path}: {key} must be a list")
    return value


def load_manifest(path: str) -> Manifest:
    """Reads and validates a manifest; every problem is a UserError naming the file."""
    raw, data = lock_files.read_manifest(path, _TOP_KEYS, ("dependencies",))

    repositories = tuple(_list(path, "repositories", data.get("repositories", [DEFAULT_REPOSITORY])))
    if not repositories or not all(isinstance(r, str) and re.match(r"^https?://[^/]+", r) for r in repositories):
        raise UserError(f"{path}: repositories must be a non-empty list of http(s) URLs")
    if len(set(repositories)) != len(repositories):
        raise UserError(f"{path}: repositories lists a URL twice")

    boms = []
    for i, bom in enumerate(_list(path, "boms", data.get("boms", []))):
        if not isinstance(bom, str):
            raise UserError(f"{path}: boms[{i}] must be a \"group:artifact:version\" string")
        g, a, v = _ids(path, f"boms[{i}]", bom, 3)
        boms.append((g, a, v))

    jdk = data.get("jdk", "17")
    if not isinstance(jdk, str) or not _JDK_RE.match(jdk):
        raise UserError(f"{path}: jdk must be a Java version such as \"17\", got {jdk!r}")

    dependencies = [_entry(path, f"dependencies[{i}]", v, managed=False)
                    for i, v in enumerate(_list(path, "dependencies", data["dependencies"]))]
    if not dependencies:
        raise UserError(f"{path}: dependencies is empty")
    managed = [_entry(path, f"managed[{i}]", v, managed=True)
               for i, v in enumerate(_list(path, "managed", data.get("managed", [])))]
    for what, entries in (("dependencies", dependencies), ("managed", managed)):
        seen: dict[str, str] = {}
        for entry in entries:
            if entry.management_key in seen:
                raise UserError(f"{path}: {what} lists {entry.management_key} twice")
            seen[entry.management_key] = str(entry)

    return Manifest(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        repositories=repositories,
        jdk=jdk,
        project=RootProject(
            source=path,
            dependencies=tuple(dependencies),
            managed=tuple(managed),
            boms=tuple(boms),
            exclusions=_exclusions(path, "exclusions", data.get("exclusions", [])),
        ),
    )
