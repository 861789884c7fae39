"""Every action of the build runs the pinned toolchains, never what the environment has.

Reads `bazel aquery --output=jsonproto` on stdin. Checks, one PASS/FAIL line each:
- every Javac action runs the pinned OpenJDK 17 (the `deb.tree` repository `jdk17`);
- no action of any mnemonic takes an input from the environment's own JDK (`local_jdk`).
Prints `N passed, N failed` last; exit status 1 if any check failed.
"""

from __future__ import annotations

import json
import sys

PINNED_JAVA = "external/_main~deb~jdk17/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
FOREIGN_JDK = "~local_jdk/"


def _paths(graph: dict) -> dict[int, str]:
    fragments = {f["id"]: f for f in graph.get("pathFragments", [])}

    def path(fragment_id: int) -> str:
        parts = []
        while fragment_id:
            fragment = fragments[fragment_id]
            parts.append(fragment["label"])
            fragment_id = fragment.get("parentId", 0)
        return "/".join(reversed(parts))

    return {a["id"]: path(a["pathFragmentId"]) for a in graph.get("artifacts", [])}


def _inputs(graph: dict, paths: dict[int, str]):
    depsets = {d["id"]: d for d in graph.get("depSetOfFiles", [])}
    memo: dict[int, frozenset[str]] = {}

    def expand(depset_id: int) -> frozenset[str]:
        if depset_id not in memo:
            depset = depsets[depset_id]
            files = {paths[i] for i in depset.get("directArtifactIds", [])}
            for child in depset.get("transitiveDepSetIds", []):
                files |= expand(child)
            memo[depset_id] = frozenset(files)
        return memo[depset_id]

    return lambda action: frozenset().union(*[expand(i) for i in action.get("inputDepSetIds", [])])


def main() -> int:
    try:
        graph = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        print(f"check_actions: error: stdin is not bazel aquery --output=jsonproto output ({e.msg})", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    return report(graph)


def report(graph: dict) -> int:
    """Prints the checks of one aquery graph; returns the exit status."""
    paths = _paths(graph)
    inputs = _inputs(graph, paths)
    targets = {t["id"]: t["label"] for t in graph.get("targets", [])}
    actions = graph.get("actions", [])
    passed = failed = 0

    def check(ok: bool, what: str) -> None:
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(("PASS " if ok else "FAIL ") + what)

    javac = [a for a in actions if a["mnemonic"] == "Javac"]
    check(bool(javac), f"the build has Javac actions ({len(javac)})")
    for action in javac:
        runs = action["arguments"][0]
        check(runs == PINNED_JAVA, f"Javac of {targets[action['targetId']]} runs {runs}")
    foreign = sorted({(targets[a["targetId"]], a["mnemonic"]) for a in actions
                      if any(FOREIGN_JDK in p for p in inputs(a))})
    check(not foreign, "no action takes an input from the environment's JDK"
          + ("" if not foreign else ": " + ", ".join(f"{t} ({m})" for t, m in foreign[:10])))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
