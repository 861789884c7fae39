"""The hubs of the committed locks: every runtime file is the locked artifact byte for byte,
artifacts.bzl's runtime closure is the lock's, and a binary built on two java_import targets runs
with what their dependency edges bring."""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from tools.maven.lockfile import read_lock

LOCKS = {"SPRING": "toolchains/maven/spring.lock.json", "TENSORFLOW": "toolchains/maven/tensorflow.lock.json"}


@pytest.mark.parametrize("hub", sorted(LOCKS))
def test_runtime_files_are_the_locked_bytes(hub):
    artifacts = read_lock(LOCKS[hub])["artifacts"]
    runtime = os.environ[f"{hub}_RUNTIME"].split()
    files = os.environ[f"{hub}_FILES"].split()
    assert runtime == sorted(k for k, a in artifacts.items() if a["closure"] == "runtime")
    assert len(files) == len(runtime)
    for key, path in zip(runtime, files):
        entry = artifacts[key]
        assert os.path.basename(os.path.realpath(path)) == entry["file"]
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        assert (digest.hexdigest(), os.path.getsize(path)) == (entry["sha256"], entry["size"]), key


def test_java_binary_on_java_import_targets_runs():
    proc = subprocess.run([os.environ["PROBE"], "--name", "probe"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    name, _, version, _, manifests = proc.stdout.split()
    assert (name, version) == ("probe", "6.2.12")
    # jcommander, spring-core, spring-jcl and the probe's own jar are on the runtime classpath.
    assert int(manifests) >= 3
