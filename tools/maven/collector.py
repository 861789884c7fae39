"""The dependency graph before conflict resolution, collected the way Maven 3 collects it.

Depth-first from the root's dependencies, in declaration order. For each dependency:

1. selection, on the dependency as its POM declares it: below the root, `test` and `provided`
   dependencies and `optional` ones are dropped, and so is anything an exclusion on the path from
   the root matches (`group:artifact`, either may be `*`);
2. management, from the root's dependencyManagement only (BOM imports included; the dependencies'
   own dependencyManagement has already shaped their own dependencies in the model builder):
   below the direct dependencies it sets version, scope and optional; at every depth it adds
   exclusions. The first managed entry for an artifact wins;
3. an artifact already on the path from the root (same group, artifact, extension, classifier,
   any version) is a cycle: it becomes a leaf;
4. the artifact's effective POM gives its dependencies (war, ear, rar and par bundle theirs and
   are not descended into). A relocated POM (`<distributionManagement><relocation>`) replaces the
   artifact by its new coordinates, which go through selection and management again.

Unlike Maven this keeps the graph a tree (Maven shares identical sub-graphs); after conflict
resolution both give the same result, because every ancestor's conflict is settled first.
Version ranges, SNAPSHOT and LATEST/RELEASE versions and `system` scope cannot be locked and are
errors that say how to pin the version instead.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from tools.common.errors import UserError
from tools.maven import coordinates, version as versions
from tools.maven.coordinates import Artifact, ArtifactKey
from tools.maven.model_builder import EffectiveModel, Managed

MAX_NODES = 250_000


@dataclasses.dataclass(eq=False)
class Node:
    artifact: Artifact | None  # None: the root
    scope: str
    optional: bool
    exclusions: tuple[tuple[str, str], ...]
    managed_scope: bool
    relocations: tuple[Artifact, ...]
    parent: "Node | None"
    children: list["Node"] = dataclasses.field(default_factory=list)
    # The children as collected, before conflict resolution removes the losers: the artifact's
    # own dependency edges (see lock.py).
    collected: tuple["Node", ...] = ()

    def path(self) -> list[Artifact]:
        node: Node | None = self
        out = []
        while node is not None and node.artifact is not None:
            out.append(node.artifact)
            node = node.parent
        return out[::-1]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclasses.dataclass(frozen=True)
class _Management:
    versions: dict[ArtifactKey, str]
    scopes: dict[ArtifactKey, str]
    optionals: dict[ArtifactKey, bool]
    exclusions: dict[ArtifactKey, tuple[tuple[str, str], ...]]


def _management(managed: list[Managed]) -> _Management:
    result = _Management({}, {}, {}, {})
    for m in managed:
        key = m.key
        if m.version:
            result.versions.setdefault(key, m.version)
        if m.scope:
            result.scopes.setdefault(key, m.scope)
        if m.optional is not None:
            result.optionals.setdefault(key, m.optional)
        if m.exclusions:
            merged = dict.fromkeys(result.exclusions.get(key, ()) + m.exclusions)
            result.exclusions[key] = tuple(merged)
    return result


def _describe(path: list[Artifact]) -> str:
    return " -> ".join(str(a) for a in path)


class Collector:
    def __init__(self, effective: Callable[[str, str, str], EffectiveModel],
                 prefetch: Callable[[str, str, str], None] | None = None, max_nodes: int = MAX_NODES):
        self._effective = effective
        self._prefetch = prefetch
        self._max_nodes = max_nodes
        self._count = 0
        self._management = _Management({}, {}, {}, {})

    def collect(self, dependencies: list[Managed], managed: list[Managed]) -> Node:
        root = Node(None, "", False, (), False, (), None)
        self._management = _management(managed)
        self._children(root, dependencies, 0, frozenset(), [])
        for node in root.walk():
            node.collected = tuple(node.children)
        return root

    def _children(self, parent: Node, dependencies: tuple[Managed, ...] | list[Managed], parent_depth: int,
                  exclusions: frozenset[tuple[str, str]], stack: list[Node]) -> None:
        if self._prefetch is not None:
            for d in dependencies:
                version = self._managed_version(d, parent_depth)
                if self._selected(d, parent_depth, exclusions) and version and not versions.is_range(version) \
                        and "${" not in version:
                    self._prefetch(d.group, d.artifact, version)
        for d in dependencies:
            self._dependency(parent, d, parent_depth, exclusions, stack, (), False)

    def _managed_version(self, d: Managed, parent_depth: int) -> str | None:
        if parent_depth >= 1:
            return self._management.versions.get(d.key, d.version)
        return d.version

    @staticmethod
    def _selected(d: Managed, parent_depth: int, exclusions: frozenset[tuple[str, str]]) -> bool:
        """Step 1 of the module docstring, on the dependency as declared."""
        if parent_depth >= 1 and (d.scope in ("test", "provided") or d.optional):
            return False
        return not any(coordinates.exclusion_matches(e, d.key) for e in exclusions)

    def _dependency(self, parent: Node, d: Managed, parent_depth: int, exclusions: frozenset[tuple[str, str]],
                    stack: list[Node], relocations: tuple[Artifact, ...], keep_version: bool) -> None:
        if not self._selected(d, parent_depth, exclusions):
            return
        key = d.key
        transitive = parent_depth >= 1
        version, scope, optional, own_exclusions = d.version, d.scope or "compile", bool(d.optional), d.exclusions
        managed_scope = False
        m = self._management
        if transitive:
            if key in m.versions and not keep_version:
                version = m.versions[key]
            if key in m.scopes:
                scope, managed_scope = m.scopes[key], True
            if key in m.optionals:
                optional = m.optionals[key]
        if key in m.exclusions:
            own_exclusions = tuple(dict.fromkeys(own_exclusions + m.exclusions[key]))
        path = [n.artifact for n in stack if n.artifact is not None]
        self._check_lockable(d, key, version, scope, path)
        assert version is not None
        artifact = Artifact(key, version)

        if any(n.artifact is not None and n.artifact.key == key for n in stack):
            self._add(parent, Node(artifact, scope, optional, own_exclusions, managed_scope, relocations, parent))
            return

        model, final = self._descriptor(artifact, path)
        if final != artifact:
            relocated = dataclasses.replace(
                d, group=final.group, artifact=final.artifact, version=final.version, scope=scope,
                optional=optional, exclusions=own_exclusions)
            same_name = (final.group, final.artifact) == (artifact.group, artifact.artifact)
            self._dependency(parent, relocated, parent_depth, exclusions, stack, relocations + (artifact,), same_name)
            return
        node = Node(artifact, scope, optional, own_exclusions, managed_scope, relocations, parent)
        self._add(parent, node)
        if coordinates.type_includes_dependencies(d.type) or not model.dependencies:
            return
        stack.append(node)
        self._children(node, model.dependencies, parent_depth + 1, exclusions | set(own_exclusions), stack)
        stack.pop()

    def _add(self, parent: Node, node: Node) -> None:
        self._count += 1
        if self._count > self._max_nodes:
            raise UserError(f"the dependency graph has more than {self._max_nodes} paths; exclude the "
                            f"dependencies that multiply them (last: {_describe(node.path())})")
        parent.children.append(node)

    @staticmethod
    def _check_lockable(d: Managed, key: ArtifactKey, version: str | None, scope: str,
                        path: list[Artifact]) -> None:
        where = f"{key}" + (f" (required by {_describe(path)})" if path else "")
        if path:
            pin = f'pin it: managed = ["{key.group}:{key.artifact}:<version>"] in the manifest'
        else:
            pin = f'give it one ("{key.group}:{key.artifact}:<version>") or import a BOM that manages it'
        if not version:
            raise UserError(f"{where} has no version and nothing manages one; {pin}")
        if "${" in version:
            raise UserError(f"{where}: version {version} names a property no POM defines; {pin}")
        if versions.is_range(version):
            raise UserError(f"{where}: version range {version} cannot be locked reproducibly; {pin}")
        if version.endswith("-SNAPSHOT") or version in ("LATEST", "RELEASE"):
            raise UserError(f"{where}: version {version} moves; {pin}")
        if not coordinates.valid_version(version) or not coordinates.valid_id(key.group) or \
                not coordinates.valid_id(key.artifact) or not all(
                    coordinates.valid_version(x) for x in (key.extension, key.classifier) if x):
            raise UserError(f"{where}:{version}: not usable as repository coordinates")
        if scope == "system":
            raise UserError(f"{where}:{version} has scope system (a file on the machine, {d.system_path}); "
                            "exclude it in the manifest")

    def _descriptor(self, artifact: Artifact, path: list[Artifact]) -> tuple[EffectiveModel, Artifact]:
        """The effective POM of `artifact`, following relocations; returns it and the final artifact."""
        seen = []
        current = artifact
        while True:
            gav = coordinates.gav(current.group, current.artifact, current.version)
            if gav in seen:
                raise UserError(f"{artifact}: relocations form a cycle: {' -> '.join(seen + [gav])}")
            seen.append(gav)
            try:
                model = self._effective(current.group, current.artifact, current.version)
            except UserError as e:
                raise UserError(f"{current} (required by {_describe(path)}): {e}" if path else f"{current}: {e}") from None
            relocation = model.relocation
            if relocation is None:
                return model, current
            current = Artifact(
                ArtifactKey(relocation.group or current.group, relocation.artifact or current.artifact,
                            current.key.extension, current.key.classifier),
                relocation.version or current.version,
            )
            if current == artifact or gav == coordinates.gav(current.group, current.artifact, current.version):
                return model, artifact
