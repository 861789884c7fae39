"""Conflict resolution: one version and one scope per artifact, as Maven 3's resolver decides.

Artifacts conflict when they share group, artifact, extension and classifier (a relocated
artifact also conflicts with its old name). Conflicts are settled artifact by artifact, parents
before children (a topological order of the artifacts; in a cycle the one nearest the root
first), so a dependency that only a losing version brings never takes part:

- version, nearest wins: the occurrence with the fewest steps from the root; between occurrences
  at the same depth the first in depth-first declaration order; two declarations in the same POM
  (siblings): the higher version. The losers and everything below them are removed.
- scope: a direct dependency's scope is final. Otherwise each occurrence's scope is derived from
  its parent's (settled) scope: a test or system child keeps its own; under compile it keeps its
  own; under test or runtime it takes the parent's; under provided or system it becomes
  provided; a scope set by the root's dependencyManagement is not derived. The winner gets the
  widest derived scope over all occurrences: compile, then runtime, provided, test (system only
  when it is all there is).
"""

from __future__ import annotations

from typing import Iterable

from tools.maven import version as versions
from tools.maven.collector import Node
from tools.maven.coordinates import ArtifactKey

ConflictId = ArtifactKey


def derive_scope(parent: str | None, child: str) -> str:
    if child in ("system", "test"):
        return child
    if not parent or parent == "compile":
        return child
    if parent in ("test", "runtime"):
        return parent
    if parent in ("system", "provided"):
        return "provided"
    return "runtime"


def _widest(scopes: set[str]) -> str:
    if len(scopes) > 1:
        scopes.discard("system")
    if len(scopes) == 1:
        return next(iter(scopes))
    for scope in ("compile", "runtime", "provided", "test"):
        if scope in scopes:
            return scope
    return ""


def _conflict_ids(root: Node) -> dict[int, ConflictId]:
    """Node (by id()) -> conflict id; keys joined through relocations share one id."""
    parent_of: dict[ArtifactKey, ArtifactKey] = {}

    def find(key: ArtifactKey) -> ArtifactKey:
        while parent_of.setdefault(key, key) != key:
            parent_of[key] = parent_of[parent_of[key]]
            key = parent_of[key]
        return key

    nodes = [n for n in root.walk() if n.artifact is not None]
    for node in nodes:
        assert node.artifact is not None
        first = find(node.artifact.key)
        for old in node.relocations:
            other = find(old.key)
            if other != first:
                low, high = sorted((first, other))
                parent_of[high] = low
                first = low
    return {id(n): find(n.artifact.key) for n in nodes if n.artifact is not None}


def _sorted_ids(root: Node, ids: dict[int, ConflictId]) -> tuple[list[ConflictId], dict[ConflictId, set[ConflictId]]]:
    """Topological order of the conflict ids (parents first; among ready ids the one nearest the
    root, then discovery order), and for ids in cycles the other members of their cycles."""
    children: dict[ConflictId, dict[ConflictId, None]] = {}
    min_depth: dict[ConflictId, int] = {}
    in_degree: dict[ConflictId, int] = {}

    def visit(node: Node, depth: int) -> None:
        own = ids.get(id(node))
        for child in node.children:
            cid = ids[id(child)]
            if cid not in min_depth:
                min_depth[cid] = depth + 1
                in_degree.setdefault(cid, 0)
            else:
                _pull_up(cid, depth + 1)
            if own is not None and cid not in children.setdefault(own, {}):
                children[own][cid] = None
                in_degree[cid] = in_degree.get(cid, 0) + 1
            visit(child, depth + 1)

    def _pull_up(cid: ConflictId, depth: int) -> None:
        pending = [(cid, depth)]
        while pending:
            c, d = pending.pop()
            if d < min_depth[c]:
                min_depth[c] = d
                pending.extend((grandchild, d + 1) for grandchild in children.get(c, {}))

    visit(root, 0)
    order = list(min_depth)  # discovery order
    remaining = dict(in_degree)
    ready = [c for c in order if remaining[c] == 0]
    result: list[ConflictId] = []
    done: set[ConflictId] = set()

    def drain(queue: list[ConflictId]) -> None:
        while queue:
            queue.sort(key=lambda c: min_depth[c])  # stable: discovery order among equals
            current = queue.pop(0)
            result.append(current)
            done.add(current)
            for child in children.get(current, {}):
                remaining[child] -= 1
                if remaining[child] == 0:
                    queue.append(child)

    drain(ready)
    cyclic = len(result) < len(order)
    while len(result) < len(order):
        nearest = min((c for c in order if c not in done and remaining[c] > 0),
                      key=lambda c: (min_depth[c], remaining[c], order.index(c)))
        remaining[nearest] = 0
        drain([nearest])
    cycle_members: dict[ConflictId, set[ConflictId]] = {}
    if cyclic:
        for cycle in _cycles(order, children):
            for member in cycle:
                cycle_members.setdefault(member, set()).update(cycle)
    return result, cycle_members


def _cycles(order: list[ConflictId], children: dict[ConflictId, dict[ConflictId, None]]) -> list[set[ConflictId]]:
    found: list[set[ConflictId]] = []
    visited: set[ConflictId] = set()
    stack: dict[ConflictId, int] = {}

    def visit(cid: ConflictId) -> None:
        if cid in stack:
            depth = stack[cid]
            found.append({c for c, d in stack.items() if d >= depth})
            return
        stack[cid] = len(stack)
        if cid not in visited:
            visited.add(cid)
            for child in children.get(cid, {}):
                visit(child)
        del stack[cid]

    for cid in order:
        visit(cid)
    return found


class _Item:
    __slots__ = ("parent", "node", "depth", "scope")

    def __init__(self, parent: Node, node: Node, depth: int, scope: str):
        self.parent, self.node, self.depth, self.scope = parent, node, depth, scope


def resolve_conflicts(root: Node) -> tuple[dict[ConflictId, Node], dict[int, ConflictId]]:
    """Prunes the collected tree in place to one node per conflict id and sets each winner's scope.
    Returns conflict id -> winner, and the conflict id of every collected node (by `id(node)`)."""
    ids = _conflict_ids(root)
    order, cycle_members = _sorted_ids(root, ids)
    resolved: dict[ConflictId, Node] = {}
    ancestors: set[ConflictId] = set()

    for current in order:
        ancestors.update(cycle_members.get(current, ()))
        items: list[_Item] = []
        parents: list[Node] = []
        parent_scopes: list[str | None] = []

        def derived(node: Node, cid: ConflictId | None) -> str | None:
            if node.artifact is None:
                return None
            if node.managed_scope or (cid is not None and cid in resolved):
                return node.scope
            return derive_scope(parent_scopes[-1], node.scope)

        def gather(node: Node) -> bool:
            cid = ids.get(id(node))
            if cid == current:
                items.append(_Item(parents[-1], node, len(parents), derived(node, None) or ""))
                return True
            if cid is not None and cid in resolved and resolved[cid] is not node:
                return False  # a loser still hanging somewhere: drop it
            if cid is not None and cid not in ancestors:
                return True
            scope = derived(node, cid)
            parents.append(node)
            parent_scopes.append(scope)
            node.children[:] = [child for child in node.children if gather(child)]
            parents.pop()
            parent_scopes.pop()
            return True

        gather(root)
        ancestors.add(current)
        if not items:
            continue
        winner = items[0]
        for item in items[1:]:
            if item.parent is winner.parent:
                if versions.compare(item.node.artifact.version, winner.node.artifact.version) > 0:
                    winner = item
            elif item.depth < winner.depth:
                winner = item
        winner.node.scope = _select_scope(winner, items)
        for item in items:
            if item is not winner:
                item.parent.children[:] = [c for c in item.parent.children if c is not item.node]
        resolved[current] = winner.node

    # Cycles can leave losers below later winners; Maven prunes them in a last pass too.
    def prune(node: Node) -> None:
        node.children[:] = [c for c in node.children if resolved.get(ids[id(c)]) is c]
        for child in node.children:
            prune(child)

    prune(root)
    return resolved, ids


def _select_scope(winner: _Item, items: Iterable[_Item]) -> str:
    if winner.node.scope == "system":
        return "system"
    scopes: set[str] = set()
    for item in items:
        if item.depth <= 1:
            return item.node.scope
        scopes.add(item.scope)
    return _widest(scopes)
