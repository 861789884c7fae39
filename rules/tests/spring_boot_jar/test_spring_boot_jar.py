"""spring_boot_jar through Bazel: the jar runs with `java -jar` on the real Spring Boot loader,
its nested jars are the inputs byte for byte, and a planted duplicate class is rejected."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tools.bootjar import checks
from tools.bootjar.tests.jarfixtures import fail

RUNFILES = Path(os.environ.get("TEST_SRCDIR", ".."))
MAIN = RUNFILES / "_main"


def _contents(variable: str = "CONTENTS") -> dict:
    contents = json.loads((MAIN / os.environ[variable]).read_text())
    contents["libs"] = dict(contents["libs"])  # [name, path] pairs in classpath order
    return contents


def _runfile(path: str) -> Path:
    return RUNFILES / path


def _java(contents: dict) -> str:
    java = contents["java"]
    if os.path.isabs(java):
        return java
    # Relative to the main repository's runfiles directory (other repositories are its siblings).
    return str((MAIN / java).resolve()) if java.startswith("../") else str(MAIN / java)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_java_jar_runs_the_application_from_classes_nested_jars_and_root(tmp_path):
    contents = _contents()
    jar = _runfile(contents["jar"])
    assert jar.name == "demo_application.jar"
    result = subprocess.run([_java(contents), "-jar", str(jar), "--name", "Bazel"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Hello, Bazel!"
    assert lines[1] == f"classes from jar:nested:{jar.resolve()}/!BOOT-INF/classes/!/"
    assert lines[2] == f"jcommander from jar:nested:{jar.resolve()}/!BOOT-INF/lib/jcommander-1.82.jar!/"
    assert lines[3] == "build.target=//rules/tests/spring_boot_jar:demo_application"


def test_every_nested_jar_is_stored_and_identical_to_its_input():
    contents = _contents()
    assert set(contents["libs"]) == {"jcommander-1.82.jar", "libgreeting.jar"}
    with zipfile.ZipFile(_runfile(contents["jar"])) as zf:
        nested = {info.filename[len("BOOT-INF/lib/"):]: info for info in zf.infolist()
                  if info.filename.startswith("BOOT-INF/lib/") and not info.is_dir()}
        assert set(nested) == set(contents["libs"]), "the loader jar and the app's own jar are not nested"
        for name, path in contents["libs"].items():
            info = nested[name]
            assert info.compress_type == zipfile.ZIP_STORED
            assert hashlib.sha256(zf.read(info)).hexdigest() == _sha256(_runfile(path)), name
        assert "org/springframework/boot/loader/launch/JarLauncher.class" in zf.namelist()
        manifest = zf.read("META-INF/MANIFEST.MF").decode()
    # The Maven jar is the published artifact, by its Maven Central sha256.
    assert _sha256(_runfile(contents["libs"]["jcommander-1.82.jar"])) == \
        "deeac157c8de6822878d85d0c7bc8467a19cc8484d37788f7804f039dde280b1"
    assert "Start-Class: com.example.app.App\r\n" in manifest
    assert "Spring-Boot-Version: 3.5.7\r\n" in manifest
    assert "Build-Jdk" not in manifest


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
def test_unzip_v_of_the_built_jar():
    listing = subprocess.run(["unzip", "-v", str(_runfile(_contents()["jar"]))], capture_output=True, text=True,
                             check=True).stdout
    rows = [line.split() for line in listing.splitlines()[3:-2]]
    names = [row[7] for row in rows]
    assert names[:2] == ["META-INF/", "META-INF/MANIFEST.MF"] and names[2:] == sorted(names[2:])
    assert {(row[4], row[5]) for row in rows} == {("2010-01-01", "00:00")}
    assert [row[1] for row in rows if row[7].startswith("BOOT-INF/lib/") and row[7].endswith(".jar")] == \
        ["Stored", "Stored"]


def test_the_planted_duplicate_class_fails_naming_both_jars(tmp_path):
    clash_a, clash_b = (MAIN / p for p in os.environ["CLASH_JARS"].split())
    spec = {
        "loader": str(MAIN / os.environ["LOADER_JAR"]),
        "classes": [str(MAIN / os.environ["APP_JAR"])],
        "libs": [{"name": clash_a.name, "path": str(clash_a)}, {"name": clash_b.name, "path": str(clash_b)}],
        "start_class": "com.example.app.App",
        "build_target": "//rules/tests/spring_boot_jar:planted_duplicate",
    }
    line = fail(tmp_path, spec)
    assert line == (
        "spring_boot_jar: error: //rules/tests/spring_boot_jar:planted_duplicate: duplicate class "
        f"com.example.clash.Clash with different bytes in BOOT-INF/lib/libclash_a.jar ({clash_a}) and "
        f"BOOT-INF/lib/libclash_b.jar ({clash_b}); keep one version of the library (fix the dependency, or drop "
        "a jar with deps_exclude), or list a jar in dupeclassescheck_ignorelist if the difference is intended")


def test_excluded_loader_and_same_named_jars():
    contents = _contents("VARIANT_CONTENTS")
    assert contents["jar"] == "_main/rules/tests/spring_boot_jar/variant_application.jar"
    # The loader (also a runtime dep) and the excluded jcommander are not nested; the two
    # libgreeting.jar get names from their paths and keep the classpath order (the app's own
    # runtime deps first), which is not the sorted order.
    assert list(contents["libs"]) == ["rules_tests_spring_boot_jar_libgreeting.jar",
                                      "rules_tests_spring_boot_jar_alt_libgreeting.jar"]
    with zipfile.ZipFile(_runfile(contents["jar"])) as zf:
        names = zf.namelist()
        index = zf.read("BOOT-INF/classpath.idx").decode()
    assert [n for n in names if n.startswith("BOOT-INF/lib/") and n.endswith(".jar")] == \
        [f"BOOT-INF/lib/{n}" for n in contents["libs"]]
    assert index == "".join(f'- "BOOT-INF/lib/{n}"\n' for n in contents["libs"])


def test_the_rules_default_banned_list_is_the_tools():
    text = (MAIN / os.environ["RULE_BZL"]).read_text()
    block = re.search(r"^DEFAULT_BANNED = \[(.*?)\]", text, re.S | re.M)
    assert block, "DEFAULT_BANNED not found in the rule"
    assert tuple(re.findall(r'"([^"]+)"', block.group(1))) == checks.DEFAULT_BANNED
