"""Transitive closure of requested Debian packages over Pre-Depends and Depends.

The rules of candidate choice (already selected wins, first satisfiable alternative, highest
version, virtual packages, one version per package) and why the result depends on neither
the manifest's nor the index's order are written once, in tools/debian/README.md ("Candidate
choice"); `_Attempt.satisfy` applies them to one relation, `resolve` restarts when rule 5
learns a constraint.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Iterable, Sequence

from tools.common.errors import UserError
from tools.debian.archive_index import IndexEntry
from tools.debian.control import Atom, Relation, parse_relations, version_key, version_satisfies

_MAX_RESTARTS = 1000


@dataclasses.dataclass(frozen=True)
class ResolvedPackage:
    entry: IndexEntry
    depends: tuple[str, ...]  # names of selected packages this one depends on, sorted


@dataclasses.dataclass(frozen=True)
class VirtualChoice:
    virtual: str
    providers: tuple[str, ...]
    chosen: str
    required_by: str


@dataclasses.dataclass(frozen=True)
class Resolution:
    architecture: str
    packages: dict[str, ResolvedPackage]
    virtual_choices: tuple[VirtualChoice, ...]
    # Dependencies left out because resolve_dependencies = false: (package, relation).
    unresolved: tuple[tuple[str, str], ...] = ()


def _relation_str(relation: Relation) -> str:
    return " | ".join(str(a) for a in relation)


def _describe(entry: IndexEntry | None) -> str:
    return "the manifest" if entry is None else f"{entry.name} {entry.version}"


class _Restart(Exception):
    def __init__(self, name: str, atom: Atom, requester: str):
        super().__init__(name)
        self.name = name
        self.atom = atom
        self.requester = requester


class PackageIndex:
    """Entries of one architecture, queryable by name and by provided name."""

    def __init__(self, entries: Iterable[IndexEntry], architecture: str):
        self.architecture = architecture
        self._by_name: dict[str, list[IndexEntry]] = collections.defaultdict(list)
        self._provided: dict[str, list[tuple[IndexEntry, Atom]]] = collections.defaultdict(list)
        self._sorted: set[str] = set()
        self._sorted_provided: set[str] = set()
        self._relations: dict[int, tuple[Relation, ...]] = {}
        self._provides: dict[int, tuple[Atom, ...]] = {}
        self.suites: list[str] = []
        for e in entries:
            if e.architecture not in (architecture, "all"):
                continue
            self._by_name[e.name].append(e)
            if e.suite not in self.suites:
                self.suites.append(e.suite)
            for p in self.provides(e):
                self._provided[p.name].append((e, p))

    @staticmethod
    def _order(items: list, entry_of) -> None:
        """Sorts in place: highest version first, then source order, architecture, sha256, name.

        Two stable sorts (tie-breakers first) because versions only compare
        through a comparison function. Nothing depends on the input order.
        """
        items.sort(key=lambda x: (entry_of(x).source_rank, entry_of(x).architecture,
                                  entry_of(x).field("sha256") or "", entry_of(x).name))
        items.sort(key=lambda x: version_key(entry_of(x).version), reverse=True)

    def candidates(self, name: str) -> list[IndexEntry]:
        entries = self._by_name.get(name, [])
        if name not in self._sorted:
            self._order(entries, lambda e: e)
            self._sorted.add(name)
        return entries

    def providers(self, name: str) -> list[tuple[IndexEntry, Atom]]:
        entries = self._provided.get(name, [])
        if name not in self._sorted_provided:
            self._order(entries, lambda pair: pair[0])
            self._sorted_provided.add(name)
        return entries

    def provides(self, entry: IndexEntry) -> tuple[Atom, ...]:
        key = id(entry)
        if key not in self._provides:
            atoms = []
            for relation in parse_relations(entry.field("provides"), source=f"Provides of {entry.name} {entry.version}"):
                if len(relation) != 1 or relation[0].operator not in (None, "="):
                    raise UserError(f"{entry.name} {entry.version}: malformed Provides {entry.field('provides')!r}")
                atoms.append(relation[0])
            self._provides[key] = tuple(atoms)
        return self._provides[key]

    def relations(self, entry: IndexEntry) -> tuple[Relation, ...]:
        key = id(entry)
        if key not in self._relations:
            source = f"{entry.name} {entry.version} ({entry.suite})"
            self._relations[key] = parse_relations(entry.field("pre-depends"), source=source) + parse_relations(
                entry.field("depends"), source=source
            )
        return self._relations[key]

    def arch_ok(self, atom: Atom, entry: IndexEntry) -> bool:
        if atom.arch in (None, "any", "native"):
            return entry.architecture in (self.architecture, "all")
        return entry.architecture == atom.arch or (entry.architecture == "all" and atom.arch == self.architecture)

    def provide_ok(self, provided: Atom, atom: Atom) -> bool:
        if atom.operator is None:
            return True
        return provided.operator == "=" and version_satisfies(provided.version or "", atom.operator, atom.version or "")

    def satisfies(self, entry: IndexEntry, atom: Atom) -> bool:
        if entry.name == atom.name and self.arch_ok(atom, entry) and atom.version_ok(entry.version):
            return True
        if atom.arch not in (None, "any", "native") and atom.arch != self.architecture:
            return False
        return any(p.name == atom.name and self.provide_ok(p, atom) for p in self.provides(entry))

    def what_index_has(self, atom: Atom) -> str:
        real = self.candidates(atom.name)
        provided = self.providers(atom.name)
        parts = []
        if real:
            parts.append(f"{atom.name} " + ", ".join(f"{e.version} ({e.suite}, {e.architecture})" for e in real))
        if provided:
            parts.append(
                f"providers of {atom.name}: "
                + ", ".join(f"{e.name} {e.version} provides {p}" for e, p in provided[:8])
                + (" ..." if len(provided) > 8 else "")
            )
        return "; ".join(parts)


class _Attempt:
    def __init__(self, index: PackageIndex, learned: dict[str, list[tuple[Atom, str]]]):
        self.index = index
        self.learned = learned
        self.selected: dict[str, IndexEntry] = {}
        self.providers_of: dict[str, set[str]] = collections.defaultdict(set)
        self.queue: collections.deque[str] = collections.deque()
        self.choices: list[VirtualChoice] = []

    def select(self, entry: IndexEntry) -> None:
        self.selected[entry.name] = entry
        for p in self.index.provides(entry):
            self.providers_of[p.name].add(entry.name)
        self.queue.append(entry.name)

    def selected_satisfier(self, atom: Atom) -> IndexEntry | None:
        own = self.selected.get(atom.name)
        if own is not None and self.index.satisfies(own, atom):
            return own
        for name in sorted(self.providers_of.get(atom.name, ())):
            if self.index.satisfies(self.selected[name], atom):
                return self.selected[name]
        return None

    def allowed_by_learned(self, entry: IndexEntry) -> bool:
        return all(a.version_ok(entry.version) for a, _ in self.learned.get(entry.name, ()))

    def satisfy(self, relation: Relation, requester: IndexEntry | None) -> None:
        for atom in relation:
            if self.selected_satisfier(atom) is not None:
                return
        blocked: list[Atom] = []
        learned_blocks: list[str] = []
        for atom in relation:
            matching = [e for e in self.index.candidates(atom.name) if self.index.arch_ok(atom, e) and atom.version_ok(e.version)]
            allowed = [e for e in matching if self.allowed_by_learned(e)]
            if matching and not allowed:
                learned_blocks.extend(f"{who} depends on {a}" for a, who in self.learned[atom.name])
            if atom.name in self.selected:
                if allowed:
                    blocked.append(atom)
                allowed = []
            if allowed:
                self.select(allowed[0])
                return
            providers = [
                e
                for e, p in self.index.providers(atom.name)
                if self.index.provide_ok(p, atom)
                and self.index.arch_ok(Atom(e.name, atom.arch), e)
                and e.name not in self.selected
                and self.allowed_by_learned(e)
            ]
            if providers:
                names = sorted({e.name for e in providers})
                chosen = next(e for e in providers if e.name == names[0])
                if len(names) > 1:
                    self.choices.append(VirtualChoice(atom.name, tuple(names), chosen.name, _describe(requester)))
                self.select(chosen)
                return
        if blocked:
            raise _Restart(blocked[0].name, blocked[0], _describe(requester))
        self.fail(relation, requester, learned_blocks)

    def fail(self, relation: Relation, requester: IndexEntry | None, learned_blocks: list[str]) -> None:
        who = "the manifest requests" if requester is None else f"{_describe(requester)} depends on"
        what = _relation_str(relation)
        if learned_blocks:
            raise UserError(
                f"{who} {what}, but {'; '.join(sorted(set(learned_blocks)))}; no version satisfies both "
                f"(the index has {'; '.join(filter(None, (self.index.what_index_has(a) for a in relation)))})"
            )
        found = [s for s in (self.index.what_index_has(a) for a in relation) if s]
        if not found:
            names = ", ".join(sorted({a.name for a in relation}))
            raise UserError(
                f"{who} {what}, but no package or provider named {names} is in the index for "
                f"{self.index.architecture} (suites: {', '.join(self.index.suites)})"
            )
        raise UserError(f"{who} {what}, but the index only has {'; '.join(found)}")


def _roots(requested: Sequence[str]) -> list[Relation]:
    roots = []
    for text in requested:
        relations = parse_relations(text, source="manifest packages")
        if len(relations) != 1:
            raise UserError(f"manifest packages entry {text!r} must name exactly one package")
        roots.append(relations[0])
    # Sorted so that the order of the manifest's list never matters.
    return sorted(set(roots), key=_relation_str)


def resolve(
    entries: Iterable[IndexEntry] | PackageIndex,
    requested: Sequence[str],
    architecture: str,
    *,
    resolve_dependencies: bool = True,
) -> Resolution:
    """Selects the packages to lock for one architecture; raises UserError on failure."""
    index = entries if isinstance(entries, PackageIndex) else PackageIndex(entries, architecture)
    roots = _roots(requested)
    learned: dict[str, list[tuple[Atom, str]]] = {}
    for _ in range(_MAX_RESTARTS):
        attempt = _Attempt(index, learned)
        try:
            for root in roots:
                attempt.satisfy(root, None)
            if resolve_dependencies:
                while attempt.queue:
                    entry = attempt.selected[attempt.queue.popleft()]
                    for relation in index.relations(entry):
                        attempt.satisfy(relation, entry)
        except _Restart as restart:
            known = learned.setdefault(restart.name, [])
            if (restart.atom, restart.requester) in known:
                raise UserError(f"resolution of {restart.name} does not converge") from None
            known.append((restart.atom, restart.requester))
            continue
        break
    else:
        raise UserError("dependency resolution did not converge")

    packages: dict[str, ResolvedPackage] = {}
    unresolved: list[tuple[str, str]] = []
    for name, entry in attempt.selected.items():
        depends: set[str] = set()
        for relation in index.relations(entry):
            hit = next((h for h in (attempt.selected_satisfier(a) for a in relation) if h is not None), None)
            if hit is None:
                unresolved.append((name, _relation_str(relation)))
            elif hit.name != name:
                depends.add(hit.name)
        packages[name] = ResolvedPackage(entry, tuple(sorted(depends)))
    if resolve_dependencies and unresolved:  # cannot happen: every relation was satisfied above
        raise UserError(f"internal error: unsatisfied relations after resolution: {unresolved}")
    choices = tuple(sorted(set(attempt.choices), key=lambda c: (c.virtual, c.chosen, c.required_by)))
    return Resolution(architecture, dict(sorted(packages.items())), choices, tuple(sorted(unresolved)))
