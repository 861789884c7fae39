"""The services' Spring Boot jars: stored nested jars byte-identical to the Maven lock, one
timestamp, sorted names, nothing volatile in the manifest or the build data."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

LOCK = "toolchains/maven/spring.lock.json"
# Jars the services' own java_library targets build (not from the lock).
BUILT_HERE = {"libcommon.jar"}
JARS = {
    "collector": "shuffler/services/collector/collector_application.jar",
    "task_assignment": "shuffler/services/taskassignment/task_assignment_application.jar",
    "task_management": "shuffler/services/taskmanagement/task_management_application.jar",
}


@pytest.fixture(scope="module")
def lock():
    with open(LOCK) as f:
        return json.load(f)["artifacts"]


@pytest.mark.parametrize("service", sorted(JARS))
def test_nested_jars_are_stored_and_are_the_locked_bytes(service, lock):
    by_file = {a["file"]: a for a in lock.values() if a["closure"] == "runtime"}
    with zipfile.ZipFile(JARS[service]) as jar:
        libs = [i for i in jar.infolist() if i.filename.startswith("BOOT-INF/lib/") and not i.is_dir()]
        assert len(libs) > 30
        for info in libs:
            name = info.filename[len("BOOT-INF/lib/"):]
            assert info.compress_type == zipfile.ZIP_STORED, name
            if name in BUILT_HERE:
                continue
            assert name in by_file, f"{name} is not in the runtime closure of {LOCK}"
            assert hashlib.sha256(jar.read(info)).hexdigest() == by_file[name]["sha256"], name
        nested = {i.filename[len("BOOT-INF/lib/"):] for i in libs} - BUILT_HERE
        left_out = sorted(set(by_file) - nested)
        # The loader sits at the jar's root; starters hold no code (Spring-Boot-Jar-Type).
        assert all(n.startswith(("spring-boot-loader-", "spring-boot-starter")) for n in left_out), left_out
        assert not any(n.startswith(("junit", "mockito", "assertj", "spring-boot-test", "spring-test"))
                       for n in nested)


@pytest.mark.parametrize("service", sorted(JARS))
def test_one_timestamp_sorted_names_and_stable_metadata(service):
    with zipfile.ZipFile(JARS[service]) as jar:
        infos = jar.infolist()
        assert len({i.date_time for i in infos}) == 1
        names = [i.filename for i in infos]
        assert names[:2] == ["META-INF/", "META-INF/MANIFEST.MF"]
        assert names[2:] == sorted(names[2:])
        manifest = jar.read("META-INF/MANIFEST.MF").decode()
        build_data = jar.read("build-data.properties").decode()
    assert "Main-Class: org.springframework.boot.loader.launch.JarLauncher" in manifest
    assert "Start-Class: org.fcp.shuffler." in manifest
    assert "Created-By: reproimage spring_boot_jar\r\n" in manifest
    for volatile in ("Build-Jdk", "Built-By", "Build-Time", "Build-Date"):
        assert volatile not in manifest
    assert "build.target=//shuffler/services/" in build_data
    assert "bazel-out" not in build_data and "/root" not in build_data and "/workspace" not in build_data
