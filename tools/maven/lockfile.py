"""The Maven lock file: every artifact of a dependency set, pinned by sha256, with its edges.

    {
      "lock_version": 1,
      "manifest_sha256": "<sha256 of the manifest the lock was made from>",
      "repositories": ["https://repo1.maven.org/maven2/"],
      "artifacts": {
        "<lock key>": {
          "group": "org.springframework", "artifact": "spring-core", "version": "6.2.12",
          "classifier": "", "packaging": "jar", "file": "spring-core-6.2.12.jar",
          "sha256": "...", "sha1": "...", "size": 2017346,
          "urls": ["https://repo1.maven.org/maven2/org/springframework/.../spring-core-6.2.12.jar"],
          "scope": "compile", "closure": "runtime",
          "dependencies": ["org.springframework:spring-jcl"]
        }
      }
    }

The lock key is `group:artifact` for a jar without classifier, else
`group:artifact:packaging[:classifier]`; `packaging` is the file's extension (a `test-jar`
dependency is packaging jar, classifier tests; a `pom` dependency locks the .pom itself).
`scope` is the scope Maven resolved; `closure` is `runtime` for compile and runtime scope (what
`mvn dependency:list -DincludeScope=runtime` lists) and `test` for the rest (test and
provided: on the test classpath only). `dependencies` are the artifact's direct dependencies
as lock keys; an artifact of the runtime closure only has edges into the runtime closure, and
edges that would close a cycle are dropped, so the edges can become `java_import` deps.

Encoding: tools.common.canonical_json.dumps_readable (sorted keys, 2-space indentation,
trailing newline), so the same resolution always gives the same bytes.
"""

from __future__ import annotations

from typing import Any, Iterable

from tools.common import canonical_json, lock_files
from tools.common.digest import is_sha256_hex
from tools.common.errors import UserError
from tools.maven.repository import Fetched
from tools.maven.resolver import Resolved

LOCK_VERSION = 1


def _acyclic(edges: dict[str, list[str]]) -> dict[str, list[str]]:
    """Drops the edges that close a cycle, visiting keys and edges in sorted order."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    kept: dict[str, list[str]] = {k: [] for k in edges}

    for start in sorted(edges):
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(sorted(edges[start])))]
        while stack:
            key, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[key] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                continue  # back edge
            kept[key].append(child)
            if child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(edges[child]))))
    return kept


def build_lock(*, manifest_sha256: str, repositories: Iterable[str], resolved: list[Resolved],
               files: dict[str, Fetched]) -> dict[str, Any]:
    """`files` maps each resolved artifact's lock key to its verified download."""
    closure = {r.artifact.key.lock_key: ("runtime" if r.runtime else "test") for r in resolved}
    edges: dict[str, list[str]] = {}
    for r in resolved:
        key = r.artifact.key.lock_key
        edges[key] = sorted({
            d.lock_key for d in r.dependencies
            if d.lock_key in closure and (closure[key] == "test" or closure[d.lock_key] == "runtime")
        })
    edges = _acyclic(edges)
    artifacts: dict[str, Any] = {}
    for r in resolved:
        key = r.artifact.key.lock_key
        fetched = files[key]
        artifacts[key] = {
            "group": r.artifact.group,
            "artifact": r.artifact.artifact,
            "version": r.artifact.version,
            "classifier": r.artifact.key.classifier,
            "packaging": r.artifact.key.extension,
            "file": r.artifact.file_name,
            "sha256": fetched.sha256,
            "sha1": fetched.sha1,
            "size": fetched.size,
            "urls": [fetched.url],
            "scope": r.scope,
            "closure": closure[key],
            "dependencies": edges[key],
        }
    return {
        "lock_version": LOCK_VERSION,
        "manifest_sha256": manifest_sha256,
        "repositories": list(repositories),
        "artifacts": artifacts,
    }


def encode_lock(lock: dict[str, Any]) -> bytes:
    return canonical_json.dumps_readable(lock)


def write_lock(path: str, lock: dict[str, Any]) -> None:
    """Atomically replaces `path`; on any failure the old lock stays as it was."""
    lock_files.write_lock(path, lock)


def read_lock(path: str) -> dict[str, Any]:
    lock = lock_files.read_lock(path, LOCK_VERSION)
    for key, entry in lock.get("artifacts", {}).items():
        if not isinstance(entry, dict) or not is_sha256_hex(entry.get("sha256")):
            raise UserError(f"{path}: artifact {key} has no valid sha256; re-lock")
    return lock
