"""Real test inputs: a Maven 2 layout repository of synthetic POMs and jars, served over HTTP.

POMs are written as XML the way projects write them (parents, properties, dependencyManagement,
profiles, relocations); jars are real zip files; every file has its `.sha1` beside it, as on
Maven Central. The repository is served on 127.0.0.1 by tools/testing/static_server.py.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def subprocess_env(**extra: str) -> dict[str, str]:
    """This interpreter's import path for our CLIs in a subprocess (third-party packages live in runfiles)."""
    env = {k: v for k, v in os.environ.items() if k != "BUILD_WORKSPACE_DIRECTORY"}
    env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + [p for p in sys.path if p])
    env.update(extra)
    return env


def run_maven_lock(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.maven.maven_lock", *args], cwd=REPO_ROOT,
                          env=subprocess_env(**env), capture_output=True, text=True, timeout=120)


def dep(coordinates: str, *, scope: str | None = None, type: str | None = None, classifier: str | None = None,
        optional: bool = False, exclusions: Iterable[str] = ()) -> str:
    """A <dependency> element: `group:artifact[:version]`."""
    fields = coordinates.split(":")
    parts = [f"<groupId>{fields[0]}</groupId>", f"<artifactId>{fields[1]}</artifactId>"]
    if len(fields) > 2:
        parts.append(f"<version>{escape(fields[2])}</version>")
    for tag, value in (("type", type), ("classifier", classifier), ("scope", scope)):
        if value:
            parts.append(f"<{tag}>{escape(value)}</{tag}>")
    if optional:
        parts.append("<optional>true</optional>")
    excluded = list(exclusions)
    if excluded:
        parts.append("<exclusions>" + "".join(
            f"<exclusion><groupId>{e.split(':')[0]}</groupId><artifactId>{e.split(':')[1]}</artifactId></exclusion>"
            for e in excluded) + "</exclusions>")
    return "<dependency>" + "".join(parts) + "</dependency>"


def bom_import(coordinates: str) -> str:
    return dep(coordinates, type="pom", scope="import")


def jar_bytes(name: str) -> bytes:
    """A real, small jar: a manifest and one entry naming the artifact (fixed dates: stable bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for entry, data in (("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n"),
                            (f"fixture/{name}.txt", name.encode() + b"\n")):
            info = zipfile.ZipInfo(entry, date_time=(2020, 1, 1, 0, 0, 0))
            z.writestr(info, data)
    return buffer.getvalue()


class FixtureRepository:
    """A Maven repository directory. Every write also writes the file's `.sha1`."""

    def __init__(self, root: str):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def path(self, group: str, artifact: str, version: str, extension: str = "jar", classifier: str = "") -> str:
        suffix = f"-{classifier}" if classifier else ""
        return os.path.join(self.root, *group.split("."), artifact, version, f"{artifact}-{version}{suffix}.{extension}")

    def write(self, path: str, data: bytes, *, sha1: bool = True) -> str:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if sha1:
            with open(path + ".sha1", "w") as f:
                f.write(hashlib.sha1(data).hexdigest())
        return path

    def pom(self, coordinates: str, *, parent: str | None = None, packaging: str | None = None,
            properties: dict[str, str] | None = None, dependencies: Sequence[str] = (),
            managed: Sequence[str] = (), profiles: str = "", relocation: str | None = None,
            omit_group: bool = False, omit_version: bool = False) -> str:
        """Writes the POM of `group:artifact:version`; `parent`, `relocation`: coordinates too."""
        group, artifact, version = coordinates.split(":")
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<project xmlns="http://maven.apache.org/POM/4.0.0">', "<modelVersion>4.0.0</modelVersion>"]
        if parent:
            pg, pa, pv = parent.split(":")
            parts.append(f"<parent><groupId>{pg}</groupId><artifactId>{pa}</artifactId><version>{pv}</version></parent>")
        if not omit_group:
            parts.append(f"<groupId>{group}</groupId>")
        parts.append(f"<artifactId>{artifact}</artifactId>")
        if not omit_version:
            parts.append(f"<version>{version}</version>")
        if packaging:
            parts.append(f"<packaging>{packaging}</packaging>")
        if properties:
            parts.append("<properties>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in properties.items()) + "</properties>")
        if managed:
            parts.append("<dependencyManagement><dependencies>" + "".join(managed) + "</dependencies></dependencyManagement>")
        if dependencies:
            parts.append("<dependencies>" + "".join(dependencies) + "</dependencies>")
        if profiles:
            parts.append(f"<profiles>{profiles}</profiles>")
        if relocation:
            fields = relocation.split(":")
            tags = ["groupId", "artifactId", "version"]
            parts.append("<distributionManagement><relocation>" + "".join(
                f"<{t}>{v}</{t}>" for t, v in zip(tags, fields) if v) + "</relocation></distributionManagement>")
        parts.append("</project>")
        return self.write(self.path(group, artifact, version, "pom"), "\n".join(parts).encode())

    def jar(self, coordinates: str, *, classifier: str = "", extension: str = "jar", data: bytes | None = None,
            sha1: bool = True) -> str:
        group, artifact, version = coordinates.split(":")
        name = f"{coordinates}:{classifier}" if classifier else coordinates
        return self.write(self.path(group, artifact, version, extension, classifier),
                          data if data is not None else jar_bytes(name), sha1=sha1)

    def artifact(self, coordinates: str, *dependencies: str, **pom: object) -> None:
        """POM and jar of a plain jar artifact."""
        self.pom(coordinates, dependencies=dependencies, **pom)  # type: ignore[arg-type]
        self.jar(coordinates)


def write_manifest(path: str, *, dependencies: Sequence[str | dict], repositories: Sequence[str],
                   boms: Sequence[str] = (), managed: Sequence[str | dict] = (), extra: str = "") -> str:
    def value(v: str | dict) -> str:
        if isinstance(v, str):
            return f'"{v}"'
        items = []
        for k, x in v.items():
            if isinstance(x, bool):
                items.append(f"{k} = {'true' if x else 'false'}")
            elif isinstance(x, list):
                items.append(f"{k} = [" + ", ".join(f'"{e}"' for e in x) + "]")
            else:
                items.append(f'{k} = "{x}"')
        return "{ " + ", ".join(items) + " }"

    lines = ["repositories = [" + ", ".join(f'"{r}"' for r in repositories) + "]"]
    if boms:
        lines.append("boms = [" + ", ".join(f'"{b}"' for b in boms) + "]")
    lines.append("dependencies = [\n" + "".join(f"  {value(d)},\n" for d in dependencies) + "]")
    if managed:
        lines.append("managed = [\n" + "".join(f"  {value(m)},\n" for m in managed) + "]")
    if extra:
        lines.append(extra)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path
