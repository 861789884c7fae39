"""Resolution of a dependency set: the root project a manifest describes -> the resolved artifacts.

The manifest plays the part of a project POM: its `managed` entries are the project's own
dependencyManagement, its `boms` are `<scope>import</scope>` entries after them, and its
dependencies get version, scope and exclusions from that management exactly as a POM's would.
Collection (collector.py) and conflict resolution (conflicts.py) then run as for `mvn` on that
project; the result lists every artifact of the test classpath with its Maven scope, in Maven's
classpath order (depth-first over the resolved graph).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from tools.maven.collector import Collector, Node
from tools.maven.conflicts import resolve_conflicts
from tools.maven.coordinates import Artifact, ArtifactKey
from tools.maven.model_builder import EffectiveModel, Managed, ModelBuilder, inject_management, with_defaults


@dataclasses.dataclass(frozen=True)
class Resolved:
    artifact: Artifact
    scope: str
    # Direct dependencies, as resolved (the winning versions), in declaration order.
    dependencies: tuple[ArtifactKey, ...]
    path: tuple[Artifact, ...]  # how the winner was reached from the root

    @property
    def runtime(self) -> bool:
        return self.scope in ("compile", "runtime")


@dataclasses.dataclass(frozen=True)
class RootProject:
    source: str  # the manifest, for messages
    dependencies: tuple[Managed, ...]
    managed: tuple[Managed, ...]  # explicit dependencyManagement (no imports)
    boms: tuple[tuple[str, str, str], ...]
    exclusions: tuple[tuple[str, str], ...] = ()  # added to every direct dependency


def root_management(models: ModelBuilder, project: RootProject) -> list[Managed]:
    imports = [
        Managed(g, a, v, "pom", "", "import", None, None, ())
        for g, a, v in project.boms
    ]
    return models.import_boms(list(project.managed) + imports, project.source, ())


def resolve(models: ModelBuilder, project: RootProject,
            prefetch: Callable[[str, str, str], None] | None = None) -> list[Resolved]:
    managed = root_management(models, project)
    direct = with_defaults(inject_management(project.dependencies, managed))
    if project.exclusions:
        direct = [dataclasses.replace(d, exclusions=tuple(dict.fromkeys(d.exclusions + project.exclusions)))
                  for d in direct]
    effective: Callable[[str, str, str], EffectiveModel] = models.effective
    root = Collector(effective, prefetch).collect(direct, managed)
    winners, conflict_of = resolve_conflicts(root)
    winner_keys = {id(node): key for key, node in winners.items()}
    resolved = []
    for node in _preorder(root):
        assert node.artifact is not None
        own = winner_keys[id(node)]
        edges = []
        for child in node.collected:
            target = conflict_of.get(id(child))
            if target is None or target == own or target not in winners:
                continue
            edge = winners[target].artifact.key  # type: ignore[union-attr]
            if edge not in edges:
                edges.append(edge)
        resolved.append(Resolved(node.artifact, node.scope, tuple(edges), tuple(node.path())))
    return resolved


def _preorder(root: Node):
    seen: set[int] = set()
    for node in root.walk():
        if node.artifact is not None and id(node) not in seen:
            seen.add(id(node))
            yield node
