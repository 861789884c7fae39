"""The committed manifests and locks in toolchains/debian agree with each other."""

from __future__ import annotations

import json
import os

import pytest

from tools.common import canonical_json
from tools.debian.lockfile import encode_lock, read_lock
from tools.debian.manifest import load_manifest
from tools.debian.tests.debfixtures import REPO_ROOT

DIRECTORY = os.path.join(REPO_ROOT, "toolchains", "debian")
NAMES = sorted(n[: -len(".toml")] for n in os.listdir(DIRECTORY) if n.endswith(".toml"))


@pytest.mark.parametrize("name", NAMES)
def test_lock_matches_manifest(name):
    manifest = load_manifest(os.path.join(DIRECTORY, f"{name}.toml"))
    path = os.path.join(DIRECTORY, f"{name}.lock.json")
    lock = read_lock(path)
    assert lock["manifest_sha256"] == manifest.sha256, f"re-lock with bazel run //toolchains/debian:{name}.lock"
    assert lock["snapshot"] == manifest.snapshot
    with open(path, "rb") as f:
        assert f.read() == encode_lock(lock)  # deterministic encoding
    assert json.loads(canonical_json.dumps(lock)) == lock
    names = {p["name"] for p in lock["packages"]}
    for p in lock["packages"]:
        assert set(p["depends"]) <= names
        assert p["urls"][-1] == f"https://deb.debian.org/{p['archive']}/{p['filename']}"
    if not manifest.resolve_dependencies:
        assert names == set(manifest.packages)


def test_jni_runtime_is_the_anchor_closure():
    # The published anchor: libc++1-16's closure on bookworm. The lock also holds libstdc++6, for
    # TensorFlow's prebuilt library, which adds no package of its own beyond it.
    lock = read_lock(os.path.join(DIRECTORY, "jni_runtime.lock.json"))
    depends = {p["name"]: p["depends"] for p in lock["packages"]}
    closure, pending = set(), ["libc++1-16"]
    while pending:
        name = pending.pop()
        if name not in closure:
            closure.add(name)
            pending += depends[name]
    assert closure == {"libc++1-16", "libc++abi1-16", "libunwind-16", "libc6", "libgcc-s1", "gcc-12-base"}
    assert set(depends) == closure | {"libstdc++6"}


def test_sysroot_links_against_the_jni_runtime():
    # Native code is linked against the sysroot's shared libraries and runs on the JNI runtime
    # lock's: every package they share is the same file (same version, same sha256).
    def packages(name):
        return {p["name"]: (p["version"], p["sha256"]) for p in read_lock(os.path.join(DIRECTORY, f"{name}.lock.json"))["packages"]}

    sysroot, runtime = packages("clang16_sysroot"), packages("jni_runtime")
    shared = set(sysroot) & set(runtime)
    assert {"libc++1-16", "libc++abi1-16", "libunwind-16", "libc6", "libgcc-s1"} <= shared
    assert {name: sysroot[name] for name in shared} == {name: runtime[name] for name in shared}
