"""Effective POMs, built the way Maven 3's model builder builds a dependency's descriptor.

For `group:artifact:version`:

1. read the POM and its parents (`<parent>`, up to a POM without one); a missing parent or a
   parent cycle is an error; a dependency declared twice in one POM keeps its first place and
   its last declaration;
2. in each of them, inject the profiles that are active: by `<activeByDefault>` (only when no
   other profile of that POM is active), `<jdk>` (prefix, `!prefix` or range, against
   `java.version`), `<os>` (Linux, amd64, family unix), `<property>` (against the fixed system
   properties, see interpolate.py) and `<file>` (never exists here, as for a POM read from a
   repository); all conditions of one activation must hold;
3. inherit from the top: groupId and version when missing, properties (child wins),
   dependencies and dependencyManagement (child's entries first, then the parent's with other
   keys; the key is `group:artifact:type[:classifier]`), relocation;
4. interpolate `${...}` (interpolate.py);
5. replace each `<scope>import</scope>` + `<type>pom</type>` entry of dependencyManagement by the
   dependencyManagement of that POM's own effective model, in declaration order: entries already
   present (declared or inherited) win, then the first import that manages a key;
6. apply dependencyManagement to the POM's own dependencies (version, scope, systemPath when
   missing; exclusions when it has none; never `optional`), then default the scope to compile.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Callable, Iterable

from tools.common.errors import UserError
from tools.maven import coordinates, version as versions
from tools.maven.interpolate import Interpolator, system_properties
from tools.maven.pom import Activation, Dependency, RawModel, Relocation


@dataclasses.dataclass(frozen=True)
class Managed:
    """A dependency or dependencyManagement entry of an effective model, fully interpolated."""

    group: str
    artifact: str
    version: str | None
    type: str
    classifier: str
    scope: str | None
    optional: bool | None
    system_path: str | None
    exclusions: tuple[tuple[str, str], ...]

    @property
    def management_key(self) -> str:
        return coordinates.management_key(self.group, self.artifact, self.type, self.classifier)

    @property
    def key(self) -> coordinates.ArtifactKey:
        return coordinates.artifact_of(self.group, self.artifact, "", self.type, self.classifier).key

    def __str__(self) -> str:
        return f"{self.key.lock_key}:{self.version}" if self.version else self.key.lock_key


@dataclasses.dataclass(frozen=True)
class EffectiveModel:
    source: str
    group: str
    artifact: str
    version: str
    packaging: str
    dependencies: tuple[Managed, ...]
    managed: tuple[Managed, ...]
    relocation: Relocation | None


RawLoader = Callable[[str, str, str], RawModel]


def _dependency_key(d: Dependency) -> str:
    return coordinates.management_key(d.group or "", d.artifact or "", d.type or "jar", d.classifier or "")


def merge_inherited(child: list[Dependency], parent: list[Dependency]) -> list[Dependency]:
    """Maven's list inheritance: child entries first (a key declared twice keeps its first place and
    its last value), then the parent's entries whose key the child does not have. A parent without
    entries leaves the child's list as it is, duplicates included."""
    if not parent:
        return child
    merged: dict[str, Dependency] = {}
    for d in child:
        merged[_dependency_key(d)] = d
    for d in parent:
        merged.setdefault(_dependency_key(d), d)
    return list(merged.values())


def _merge_dominant(model: list[Dependency], profile: list[Dependency]) -> list[Dependency]:
    """Profile injection: the profile's entries replace the model's with the same key."""
    if not profile:
        return model
    merged: dict[str, Dependency] = {}
    for d in model + profile:
        merged[_dependency_key(d)] = d
    return list(merged.values())


def _jdk_matches(condition: str, java_version: str) -> bool:
    if condition.startswith("!"):
        return not java_version.startswith(condition[1:])
    if not versions.is_range(condition):
        return java_version.startswith(condition)
    if "," not in condition:  # [17]: that version exactly
        return _jdk_order(java_version, condition.strip("[]()")) == 0
    low, high = condition.split(",", 1)
    low_value, low_closed = low.strip().lstrip("[("), low.strip().startswith("[")
    high_value, high_closed = high.strip().rstrip("])"), high.strip().endswith("]")
    if low_value:
        rel = _jdk_order(java_version, low_value)
        if rel < 0 or (rel == 0 and not low_closed):
            return False
    if high_value:
        rel = _jdk_order(java_version, high_value)
        if rel > 0 or (rel == 0 and not high_closed):
            return False
    return True


def _jdk_order(value: str, bound: str) -> int:
    """Maven's JDK range order: the first three numeric fields only."""

    def fields(text: str, separators: str) -> list[int]:
        for s in separators:
            text = text.replace(s, ".")
        parts = ["".join(ch for ch in p if ch.isdigit()) or "0" for p in text.split(".")]
        numbers = [int(p) for p in parts] + [0, 0, 0]
        return numbers[:3]

    a, b = fields(value, "-_"), fields(bound, "")
    return (a > b) - (a < b)


def _os_matches(conditions: dict[str, str]) -> bool:
    actual = {"name": "linux", "arch": "amd64"}
    families = {"unix"}
    for field, wanted in conditions.items():
        negate = wanted.startswith("!")
        value = wanted[1:] if negate else wanted
        if field == "family":
            result = value.lower() in families
        elif field == "version":
            result = False  # the kernel version of the locking machine must not matter
        else:
            result = value.lower() == actual[field]
        if result == negate:
            return False
    return True


def _activation_holds(activation: Activation, system: dict[str, str]) -> bool:
    """All conditions of the activation hold (activeByDefault is handled by the caller)."""
    if activation.jdk is not None and not _jdk_matches(activation.jdk, system["java.version"]):
        return False
    if activation.os is not None and not (activation.os and _os_matches(activation.os)):
        return False
    if activation.property_ is not None:
        name, value = activation.property_
        negate_name = name.startswith("!")
        name = name[1:] if negate_name else name
        if not name:
            return False
        actual = system.get(name)
        if value:
            negate = value.startswith("!")
            holds = (value[1:] if negate else value) == actual
            if holds == negate:
                return False
        elif bool(actual) == negate_name:
            return False
    if activation.file is not None:
        kind, path = activation.file
        # A POM read from a repository has no project directory: relative paths never exist,
        # and absolute ones are not looked at (the locking machine's files must not matter).
        if kind == "exists" or not path.startswith("/"):
            return False
    return True


def _without_duplicates(raw: RawModel) -> RawModel:
    """A dependency declared twice in one POM: the last declaration, in the first one's place (what
    Maven 2 did, and Maven 3 keeps for published POMs)."""
    merged: dict[str, Dependency] = {}
    for d in raw.dependencies:
        merged[_dependency_key(d)] = d
    if len(merged) == len(raw.dependencies):
        return raw
    return dataclasses.replace(raw, dependencies=list(merged.values()))


def _with_profiles(raw: RawModel, system: dict[str, str]) -> RawModel:
    active = [p for p in raw.profiles if p.activation.has_conditions and _activation_holds(p.activation, system)]
    if not active:
        active = [p for p in raw.profiles if p.activation.active_by_default]
    if not active:
        return raw
    properties = dict(raw.properties)
    dependencies, managed = list(raw.dependencies), list(raw.managed)
    for profile in active:
        properties.update(profile.properties)
        dependencies = _merge_dominant(dependencies, profile.dependencies)
        managed = _merge_dominant(managed, profile.managed)
    return dataclasses.replace(raw, properties=properties, dependencies=dependencies, managed=managed)


def _inherit_relocation(child: Relocation | None, parent: Relocation | None) -> Relocation | None:
    if child is None or parent is None:
        return child or parent
    return Relocation(*(c if c is not None else p for c, p in zip(dataclasses.astuple(child), dataclasses.astuple(parent))))


def _parse_optional(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() == "true"


class ModelBuilder:
    """Builds (and caches) effective models; thread-safe for concurrent readers."""

    def __init__(self, load_raw: RawLoader, java_version: str = "17",
                 prefetch: Callable[[str, str, str], None] | None = None):
        self._load_raw = load_raw
        self._prefetch = prefetch
        self.system = system_properties(java_version)
        self._cache: dict[tuple[str, str, str], EffectiveModel] = {}
        self._lock = threading.Lock()

    def effective(self, group: str, artifact: str, version: str) -> EffectiveModel:
        return self._effective((group, artifact, version), ())

    def _effective(self, gav: tuple[str, str, str], importing: tuple[str, ...]) -> EffectiveModel:
        with self._lock:
            cached = self._cache.get(gav)
        if cached is not None:
            return cached
        model = self._build(gav, importing)
        with self._lock:
            self._cache.setdefault(gav, model)
        return model

    def _lineage(self, gav: tuple[str, str, str]) -> list[RawModel]:
        lineage = [self._load_raw(*gav)]
        seen = [coordinates.gav(*gav)]
        while lineage[-1].parent is not None:
            parent = lineage[-1].parent
            if "${" in parent.version or "${" in parent.group or "${" in parent.artifact:
                raise UserError(f"{lineage[-1].source}: <parent> {parent.group}:{parent.artifact}:{parent.version} "
                                "uses a property; Maven cannot resolve that outside the project's build either")
            parent_gav = coordinates.gav(parent.group, parent.artifact, parent.version)
            if parent_gav in seen:
                raise UserError(f"{lineage[0].source}: parent POMs form a cycle: {' -> '.join(seen + [parent_gav])}")
            seen.append(parent_gav)
            try:
                lineage.append(self._load_raw(parent.group, parent.artifact, parent.version))
            except UserError as e:
                raise UserError(f"parent {parent_gav} of {lineage[-1].source}: {e}") from None
        return lineage

    def _build(self, gav: tuple[str, str, str], importing: tuple[str, ...]) -> EffectiveModel:
        lineage = [_with_profiles(_without_duplicates(raw), self.system) for raw in self._lineage(gav)]
        # Inheritance, from the topmost parent down.
        result = lineage[-1]
        for child in reversed(lineage[:-1]):
            parent = result
            result = dataclasses.replace(
                child,
                group=child.group or (child.parent.group if child.parent else None) or parent.group,
                version=child.version or (child.parent.version if child.parent else None) or parent.version,
                properties={**parent.properties, **child.properties},
                dependencies=merge_inherited(child.dependencies, parent.dependencies),
                managed=merge_inherited(child.managed, parent.managed),
                relocation=_inherit_relocation(child.relocation, parent.relocation),
            )
        source = result.source
        if not result.group or not result.version or not result.artifact:
            raise UserError(f"{source}: the POM has no groupId, artifactId or version (not even from a parent)")
        raw_parent = lineage[0].parent
        interpolate = Interpolator(
            source,
            {
                "groupId": result.group,
                "artifactId": result.artifact,
                "version": result.version,
                "packaging": result.packaging,
                "parent.groupId": raw_parent.group if raw_parent else None,
                "parent.artifactId": raw_parent.artifact if raw_parent else None,
                "parent.version": raw_parent.version if raw_parent else None,
            },
            result.properties,
            self.system,
        )
        dependencies = [self._interpolated(d, interpolate, source, "dependencies") for d in result.dependencies]
        managed = [self._interpolated(d, interpolate, source, "dependencyManagement") for d in result.managed]
        relocation = None
        if result.relocation is not None:
            relocation = Relocation(*(interpolate(v) for v in dataclasses.astuple(result.relocation)))
        this = coordinates.gav(*gav)
        managed = self.import_boms(managed, source, importing + (this,))
        return EffectiveModel(
            source=source,
            group=interpolate(result.group) or "",
            artifact=result.artifact,
            version=interpolate(result.version) or "",
            packaging=interpolate(result.packaging) or "jar",
            dependencies=tuple(with_defaults(inject_management(dependencies, managed))),
            managed=tuple(managed),
            relocation=relocation,
        )

    @staticmethod
    def _interpolated(d: Dependency, interpolate: Interpolator, source: str, where: str) -> Managed:
        group, artifact = interpolate(d.group), interpolate(d.artifact)
        if not group or not artifact:
            raise UserError(f"{source}: a {where} entry lacks groupId or artifactId")
        return Managed(
            group=group,
            artifact=artifact,
            version=interpolate(d.version) or None,
            type=interpolate(d.type) or "jar",
            classifier=interpolate(d.classifier) or "",
            scope=interpolate(d.scope) or None,
            optional=_parse_optional(interpolate(d.optional)),
            system_path=interpolate(d.system_path) or None,
            exclusions=tuple((interpolate(g) or "", interpolate(a) or "") for g, a in d.exclusions),
        )

    def import_boms(self, managed: list[Managed], source: str, importing: tuple[str, ...]) -> list[Managed]:
        """Step 5 of the module docstring, for the managed entries of `source`."""
        imports = [m for m in managed if m.type == "pom" and m.scope == "import"]
        if not imports:
            return managed
        merged: dict[str, Managed] = {}
        for m in managed:
            if not (m.type == "pom" and m.scope == "import"):
                merged[m.management_key] = m
        if self._prefetch is not None:
            for bom in imports:
                if bom.version and "${" not in bom.version:
                    self._prefetch(bom.group, bom.artifact, bom.version)
        for bom in imports:
            if not bom.version or "${" in bom.version:
                raise UserError(f"{source}: imported BOM {bom.group}:{bom.artifact} has no usable version "
                                f"({bom.version or 'none'})")
            bom_gav = coordinates.gav(bom.group, bom.artifact, bom.version)
            if bom_gav in importing:
                raise UserError(f"{source}: BOM imports form a cycle: {' -> '.join(importing + (bom_gav,))}")
            try:
                imported = self._effective((bom.group, bom.artifact, bom.version), importing)
            except UserError as e:
                raise UserError(f"BOM {bom_gav} imported by {source}: {e}") from None
            for entry in imported.managed:
                merged.setdefault(entry.management_key, entry)
        return list(merged.values())


def inject_management(dependencies: Iterable[Managed], managed: Iterable[Managed]) -> list[Managed]:
    """Step 6 of the module docstring (without the scope default)."""
    by_key: dict[str, Managed] = {}
    for m in managed:
        by_key[m.management_key] = m  # a key managed twice in one list: the last one counts
    result = []
    for d in dependencies:
        m = by_key.get(d.management_key)
        if m is not None:
            d = dataclasses.replace(
                d,
                version=d.version or m.version,
                scope=d.scope or m.scope,
                system_path=d.system_path or m.system_path,
                exclusions=d.exclusions or m.exclusions,
            )
        result.append(d)
    return result


def with_defaults(dependencies: Iterable[Managed]) -> list[Managed]:
    return [d if d.scope else dataclasses.replace(d, scope="compile") for d in dependencies]
