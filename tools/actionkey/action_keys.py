"""Compares the spawns of two builds' execution logs: which action keys differ, and why.

Two builds of the same source in different checkout paths, by different users, on different
machines must give every action the same key (command line, environment, platform, input
digests): that is what lets one build's cache serve the other. A differing key is explained by
its first cause: an argument, a variable, a platform property, or an input whose digest differs.
An input that is the output of another action is only a consequence when that action differs
too, so the report names the action where a difference starts. An action whose key is the same
but whose outputs differ read something it does not declare: it is not hermetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from tools.actionkey.execution_log import Spawn


@dataclass
class Difference:
    spawn: Spawn
    kind: str  # "key" or "output"
    causes: list[str] = field(default_factory=list)
    # Inputs that differ only because the action producing them differs.
    derived: list[str] = field(default_factory=list)

    def line(self) -> str:
        s = self.spawn
        head = f"{s.mnemonic} {s.target or '(no target)'} -> {s.name}"
        if self.kind == "output":
            return f"{head}: same key, different output: {'; '.join(self.causes)} (it reads something it does not declare)"
        if self.causes:
            return f"{head}: key differs: {'; '.join(self.causes)}"
        return f"{head}: key differs only through inputs made by differing actions: {', '.join(self.derived)}"


@dataclass
class Comparison:
    compared: int
    differences: list[Difference]
    only_in_a: list[Spawn]
    only_in_b: list[Spawn]

    @property
    def root_causes(self) -> list[Difference]:
        """Differences that start here (not only inherited from an upstream action)."""
        return [d for d in self.differences if d.kind == "output" or d.causes]


def _short(digest: str) -> str:
    return digest[:12] if digest and not digest.startswith("symlink:") else digest or "(none)"


def _mapping_causes(what: str, a: Mapping[str, str], b: Mapping[str, str]) -> list[str]:
    causes = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            causes.append(f"{what} {name}: {a.get(name, '(absent)')!r} vs {b.get(name, '(absent)')!r}")
    return causes


def _arg_causes(a: Sequence[str], b: Sequence[str]) -> list[str]:
    if len(a) != len(b):
        return [f"command line has {len(a)} arguments vs {len(b)}"]
    return [f"argument {i}: {x!r} vs {y!r}" for i, (x, y) in enumerate(zip(a, b)) if x != y]


def _index(spawns: Sequence[Spawn]) -> dict[str, Spawn]:
    return {s.name: s for s in spawns}


def compare(a_spawns: Sequence[Spawn], b_spawns: Sequence[Spawn]) -> Comparison:
    a, b = _index(a_spawns), _index(b_spawns)
    differing_outputs: set[str] = set()
    # Outputs whose bytes differ between the builds: an input among them is a consequence.
    for name in a.keys() & b.keys():
        for path, digest in a[name].outputs.items():
            if b[name].outputs.get(path, digest) != digest:
                differing_outputs.add(path)
    differences: list[Difference] = []
    for name in sorted(a.keys() & b.keys()):
        x, y = a[name], b[name]
        if x.key() == y.key():
            changed = [
                f"{path} {_short(digest)} vs {_short(y.outputs.get(path, ''))}"
                for path, digest in sorted(x.outputs.items())
                if y.outputs.get(path, digest) != digest
            ]
            if changed:
                differences.append(Difference(x, "output", changed))
            continue
        diff = Difference(x, "key")
        diff.causes += _arg_causes(x.args, y.args)
        diff.causes += _mapping_causes("environment variable", x.env, y.env)
        diff.causes += _mapping_causes("platform property", x.platform, y.platform)
        for path in sorted(x.inputs.keys() | y.inputs.keys()):
            dx, dy = x.inputs.get(path), y.inputs.get(path)
            if dx == dy:
                continue
            if dx is not None and dy is not None and path in differing_outputs:
                diff.derived.append(path)
            elif dx is None or dy is None:
                diff.causes.append(f"input {path} only in {'B' if dx is None else 'A'}")
            else:
                diff.causes.append(f"input {path}: {_short(dx)} vs {_short(dy)}")
        differences.append(diff)
    return Comparison(
        compared=len(a.keys() & b.keys()),
        differences=differences,
        only_in_a=[a[n] for n in sorted(a.keys() - b.keys())],
        only_in_b=[b[n] for n in sorted(b.keys() - a.keys())],
    )


def report(comparison: Comparison, max_lines: Optional[int] = None) -> list[str]:
    lines = [d.line() for d in comparison.differences][:max_lines]
    for label, spawns in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        for s in spawns:
            lines.append(f"{s.mnemonic} {s.target or '(no target)'} -> {s.name}: only in {label}")
    keys = sum(1 for d in comparison.differences if d.kind == "key")
    outputs = len(comparison.differences) - keys
    lines.append(
        f"{comparison.compared} actions compared: {keys} keys differ "
        f"({len(comparison.root_causes) - outputs} where a difference starts), {outputs} not hermetic "
        f"(same key, different output), {len(comparison.only_in_a)} only in A, {len(comparison.only_in_b)} only in B"
    )
    return lines
