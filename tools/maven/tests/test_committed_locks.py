"""The committed Maven manifests and locks in toolchains/maven agree with each other and with the
facts measured independently (../shared/notes/java-spring-tensorflow.md: `mvn dependency:list`
of the same Spring Boot 3.5.7 coordinates, and the TensorFlow jars' sha256)."""

from __future__ import annotations

import os

import pytest

from tools.maven.coordinates import Artifact, ArtifactKey
from tools.maven.lockfile import encode_lock, read_lock
from tools.maven.manifest import load_manifest
from tools.maven.tests.mavenfixtures import REPO_ROOT

DIRECTORY = os.path.join(REPO_ROOT, "toolchains", "maven")
NAMES = sorted(n[: -len(".toml")] for n in os.listdir(DIRECTORY) if n.endswith(".toml"))


def _lock(name: str) -> dict:
    return read_lock(os.path.join(DIRECTORY, f"{name}.lock.json"))


@pytest.mark.parametrize("name", NAMES)
def test_lock_matches_manifest(name):
    manifest = load_manifest(os.path.join(DIRECTORY, f"{name}.toml"))
    path = os.path.join(DIRECTORY, f"{name}.lock.json")
    lock = read_lock(path)
    assert lock["manifest_sha256"] == manifest.sha256, f"re-lock with bazel run //toolchains/maven:{name}.lock"
    assert lock["repositories"] == list(manifest.repositories)
    with open(path, "rb") as f:
        assert f.read() == encode_lock(lock)
    artifacts = lock["artifacts"]
    for key, a in artifacts.items():
        artifact = Artifact(ArtifactKey(a["group"], a["artifact"], a["packaging"], a["classifier"]), a["version"])
        assert artifact.key.lock_key == key
        assert a["file"] == artifact.file_name
        assert a["urls"] and all(u.endswith("/" + artifact.path) for u in a["urls"])
        assert a["closure"] == ("runtime" if a["scope"] in ("compile", "runtime") else "test")
        assert a["dependencies"] == sorted(a["dependencies"])
        for d in a["dependencies"]:
            assert d in artifacts
            if a["closure"] == "runtime":
                assert artifacts[d]["closure"] == "runtime", (key, d)
    # The edges form no cycle (they become java_import deps).
    done: set[str] = set()

    def visit(key: str, path: tuple[str, ...]) -> None:
        assert key not in path, path
        if key in done:
            return
        for d in artifacts[key]["dependencies"]:
            visit(d, path + (key,))
        done.add(key)

    for key in artifacts:
        visit(key, ())


def test_spring_runtime_closure_is_the_reference():
    artifacts = _lock("spring")["artifacts"]
    runtime = {k: a for k, a in artifacts.items() if a["closure"] == "runtime"}
    # The note's `mvn dependency:list -DincludeScope=runtime`: 43 jars, 22.6 MiB.
    assert len(runtime) == 43
    assert round(sum(a["size"] for a in runtime.values()) / (1 << 20), 1) == 22.6
    versions = {k: a["version"] for k, a in runtime.items()}
    assert versions["org.springframework:spring-core"] == "6.2.12"
    assert versions["org.apache.tomcat.embed:tomcat-embed-core"] == "10.1.48"
    assert versions["com.fasterxml.jackson.core:jackson-databind"] == "2.19.2"
    assert versions["ch.qos.logback:logback-classic"] == "1.5.20"
    assert versions["io.micrometer:micrometer-core"] == "1.15.5"
    assert versions["org.yaml:snakeyaml"] == "2.4"
    assert versions["org.springframework.boot:spring-boot-loader"] == "3.5.7"
    assert versions["com.beust:jcommander"] == "1.82"
    assert all(a["packaging"] == "jar" for a in runtime.values())


def test_spring_test_dependencies_stay_out_of_the_runtime_closure():
    artifacts = _lock("spring")["artifacts"]
    test_only = {k for k, a in artifacts.items() if a["closure"] == "test"}
    for key in ("org.junit.jupiter:junit-jupiter", "org.springframework.boot:spring-boot-test",
                "org.springframework.boot:spring-boot-starter-test", "org.mockito:mockito-core",
                "org.assertj:assertj-core"):
        assert key in test_only
    banned = ("org.junit", "org.mockito", "org.assertj", "org.hamcrest", "junit")
    for key, a in artifacts.items():
        if a["closure"] == "runtime":
            assert not a["group"].startswith(banned), key


def test_tensorflow_jars_are_the_measured_ones():
    artifacts = _lock("tensorflow")["artifacts"]
    assert {k: (a["sha256"], a["size"]) for k, a in artifacts.items()} == {
        "org.tensorflow:libtensorflow": ("9c51d1b825f189f60836e4ce75484106e7b13eca589f3db932725223f28c2d63", 2103016),
        "org.tensorflow:libtensorflow_jni": ("f08ce6e684b50eb57e7b3c98347c3597433f945b17f0d1937517ef49ab47d047",
                                             141714774),
    }
