"""Live check against Apache Maven itself: the committed Spring lock is what `mvn` resolves.

Writes a POM with the coordinates of toolchains/maven/spring.toml (BOM imports, managed entries,
dependencies with their scopes, types, classifiers and exclusions) and runs
`mvn -B dependency:list -DincludeScope=runtime` (and `-DincludeScope=test`) on it, with a
private local repository. The runtime list must be the lock's runtime closure and the test list
the whole lock, versions and scopes included.

mvn comes with the build environment (Debian's `maven`, scripts/buildenv/packages.txt) and
fetches from Maven Central; without either, the test is skipped with the reason shown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from xml.sax.saxutils import escape

import pytest

from tools.maven.coordinates import ArtifactKey, type_classifier, type_extension
from tools.maven.lockfile import read_lock
from tools.maven.manifest import load_manifest
from tools.maven.model_builder import Managed
from tools.maven.tests.mavenfixtures import REPO_ROOT

MANIFEST = os.path.join(REPO_ROOT, "toolchains", "maven", "spring.toml")
LOCK = os.path.join(REPO_ROOT, "toolchains", "maven", "spring.lock.json")
# Pinned, so that the answer does not depend on which plugin version Maven picks.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


@pytest.fixture(scope="module")
def mvn():
    path = shutil.which("mvn")
    if path is None:
        pytest.skip("mvn not found: the build environment installs it (scripts/buildenv/packages.txt: maven); "
                    "run under ./scripts/buildenv/run.sh")
    for url in load_manifest(MANIFEST).repositories:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # it answered
        except OSError as e:
            pytest.skip(f"{url} unreachable: {e}")
    return path


def _dependency(d: Managed, extra_exclusions: tuple[tuple[str, str], ...] = ()) -> str:
    parts = [f"<groupId>{d.group}</groupId>", f"<artifactId>{d.artifact}</artifactId>"]
    for tag, value in (("version", d.version), ("type", d.type if d.type != "jar" else None),
                       ("classifier", d.classifier or None), ("scope", d.scope)):
        if value:
            parts.append(f"<{tag}>{escape(value)}</{tag}>")
    if d.optional is not None:
        parts.append(f"<optional>{'true' if d.optional else 'false'}</optional>")
    exclusions = tuple(dict.fromkeys(d.exclusions + extra_exclusions))
    if exclusions:
        parts.append("<exclusions>" + "".join(
            f"<exclusion><groupId>{g}</groupId><artifactId>{a}</artifactId></exclusion>" for g, a in exclusions)
            + "</exclusions>")
    return "<dependency>" + "".join(parts) + "</dependency>"


def _pom() -> str:
    manifest = load_manifest(MANIFEST)
    project = manifest.project
    managed = [_dependency(m) for m in project.managed] + [
        _dependency(Managed(g, a, v, "pom", "", "import", None, None, ())) for g, a, v in project.boms]
    repositories = "".join(f"<repository><id>r{i}</id><url>{escape(u)}</url></repository>"
                           for i, u in enumerate(manifest.repositories))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>reproimage.live</groupId><artifactId>spring-lock-check</artifactId><version>1</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <repositories>{repositories}</repositories>
  <dependencyManagement><dependencies>{''.join(managed)}</dependencies></dependencyManagement>
  <dependencies>{''.join(_dependency(d, project.exclusions) for d in project.dependencies)}</dependencies>
</project>
"""


def _listed(path: str) -> dict[str, tuple[str, str]]:
    """`group:artifact:type[:classifier]:version:scope` lines -> lock key -> (version, scope)."""
    found = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.strip().split(" ")[0].split(":")
            if len(fields) not in (5, 6) or line.startswith("The following"):
                continue
            group, artifact, type_ = fields[:3]
            classifier = fields[3] if len(fields) == 6 else type_classifier(type_)
            version, scope = fields[-2], fields[-1]
            found[ArtifactKey(group, artifact, type_extension(type_), classifier).lock_key] = (version, scope)
    return found


def _dependency_list(mvn: str, directory: str, scope: str) -> dict[str, tuple[str, str]]:
    out = os.path.join(directory, f"{scope}.txt")
    proc = subprocess.run(
        [mvn, "-B", "-q", f"-Dmaven.repo.local={os.path.join(directory, 'm2')}", f"{DEPENDENCY_PLUGIN}:list",
         f"-DincludeScope={scope}", f"-DoutputFile={out}"],
        cwd=directory, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return _listed(out)


def test_spring_lock_is_what_maven_resolves(mvn, tmp_path):
    with open(tmp_path / "pom.xml", "w", encoding="utf-8") as f:
        f.write(_pom())
    artifacts = read_lock(LOCK)["artifacts"]
    locked = {k: (a["version"], a["scope"]) for k, a in artifacts.items()}
    runtime = {k: v for k, v in locked.items() if artifacts[k]["closure"] == "runtime"}
    assert _dependency_list(mvn, str(tmp_path), "runtime") == runtime
    assert _dependency_list(mvn, str(tmp_path), "test") == locked
