"""`${...}` expressions in POM values, looked up the way Maven 3's model interpolator does.

Order of lookup for `${expr}`:

1. `project.X` / `pom.X` for the model's own fields: groupId, artifactId, version, packaging,
   parent.groupId, parent.artifactId, parent.version (after inheritance: a child without
   `<version>` has its parent's);
2. the model's properties (its own over its parents');
3. the fixed "system properties" of the resolution (`java.version` and friends, see
   `system_properties`): never the properties of the machine running the lock;
4. the same model fields without prefix (`${version}`, deprecated but still honoured).

A value found is interpolated again (`${a}` -> `${b}` -> value); a cycle is an error naming the
POM. An expression nothing defines stays as written, as in Maven (`${env.HOME}` included: the
environment never reaches a lock).
"""

from __future__ import annotations

from typing import Mapping

from tools.common.errors import UserError

_MODEL_FIELDS = ("groupId", "artifactId", "version", "packaging", "parent.groupId", "parent.artifactId",
                 "parent.version")


def system_properties(java_version: str) -> dict[str, str]:
    """What Maven would take from its JVM, fixed so that a lock never depends on the machine."""
    return {
        "java.version": java_version,
        "java.specification.version": java_version.split(".")[0] if not java_version.startswith("1.") else java_version[:3],
        "os.name": "Linux",
        "os.arch": "amd64",
        "file.separator": "/",
        "path.separator": ":",
        "line.separator": "\n",
    }


class Interpolator:
    """Interpolates strings of one model; `fields` maps the names in `_MODEL_FIELDS` to raw values."""

    def __init__(self, source: str, fields: Mapping[str, str | None], properties: Mapping[str, str],
                 system: Mapping[str, str]):
        self.source = source
        self._fields = fields
        self._properties = properties
        self._system = system

    def _lookup(self, expression: str) -> str | None:
        for prefix in ("project.", "pom."):
            if expression.startswith(prefix) and expression[len(prefix):] in _MODEL_FIELDS:
                return self._fields.get(expression[len(prefix):])
        if expression in self._properties:
            return self._properties[expression]
        if expression in self._system:
            return self._system[expression]
        if expression in _MODEL_FIELDS:
            return self._fields.get(expression)
        return None

    def __call__(self, value: str | None) -> str | None:
        if value is None or "${" not in value:
            return value
        return self._interpolate(value, ())

    def _interpolate(self, value: str, stack: tuple[str, ...]) -> str:
        out: list[str] = []
        position = 0
        while True:
            start = value.find("${", position)
            if start < 0:
                out.append(value[position:])
                return "".join(out)
            end = value.find("}", start + 2)
            if end < 0:
                out.append(value[position:])
                return "".join(out)
            out.append(value[position:start])
            expression = value[start + 2:end]
            found = self._lookup(expression)
            if found is None:
                out.append(value[start:end + 1])
            else:
                if expression in stack:
                    chain = " -> ".join(f"${{{e}}}" for e in stack + (expression,))
                    raise UserError(f"{self.source}: property expressions form a cycle: {chain}")
                out.append(self._interpolate(found, stack + (expression,)) if "${" in found else found)
            position = end + 1

