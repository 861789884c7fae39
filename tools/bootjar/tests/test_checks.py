"""The duplicate-class and banned-dependency checks: one clear line, no jar written."""

from __future__ import annotations

import random
import zlib

from tools.bootjar.tests.jarfixtures import (
    build, class_bytes, fail, standard_inputs, write_jar, write_lib)


def _lib(spec, name, path):
    spec["libs"].append({"name": name, "path": str(path)})
    return spec


def test_a_class_with_different_bytes_in_two_jars_fails_naming_both_and_the_class(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    # Another version of jcommander's classes: same names, other bytes.
    other = write_lib(tmp_path / "in" / "m2" / "jcommander-1.78.jar", "com/beust/jcommander", 4, variant="1.78")
    line = fail(tmp_path, _lib(inputs.spec(), "jcommander-1.78.jar", other.path))
    assert "//app:app: duplicate class com.beust.jcommander.C0 with different bytes in " in line
    assert f"BOOT-INF/lib/jcommander-1.82.jar ({inputs.libs[0][1].path})" in line
    assert f"BOOT-INF/lib/jcommander-1.78.jar ({other.path})" in line
    assert "(and 3 more conflicting classes, 1 jar pair(s) in all)" in line
    assert "dupeclassescheck_ignorelist" in line


def test_a_class_in_the_application_and_in_a_jar_is_a_conflict_too(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    planted = write_jar(tmp_path / "in" / "m2" / "planted.jar",
                        {"com/example/App.class": class_bytes("com/example/App", "planted")})
    line = fail(tmp_path, _lib(inputs.spec(), "planted.jar", planted.path))
    assert "duplicate class com.example.App with different bytes in BOOT-INF/classes/ " in line
    assert "BOOT-INF/lib/planted.jar" in line
    assert "more conflicting" not in line


def test_identical_duplicates_pass(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    copy = write_lib(tmp_path / "in" / "m2" / "repackaged.jar", "com/beust/jcommander", 4, order="reversed",
                     level=1, date_time=(2001, 1, 1, 0, 0, 0))
    assert copy.path.read_bytes() != inputs.libs[0][1].path.read_bytes()
    build(tmp_path, _lib(inputs.spec(), "repackaged.jar", copy.path))


def test_same_crc_and_size_but_different_bytes_is_still_a_conflict(tmp_path):
    # Two 4-byte payloads with equal CRC-32: the check must compare bytes, not trust the CRC.
    first, second = _crc_collision()
    inputs = standard_inputs(tmp_path / "in")
    a = write_jar(tmp_path / "in" / "m2" / "a.jar", {"x/Y.class": first})
    b = write_jar(tmp_path / "in" / "m2" / "b.jar", {"x/Y.class": second})
    spec = _lib(_lib(inputs.spec(), "a.jar", a.path), "b.jar", b.path)
    assert "duplicate class x.Y with different bytes in BOOT-INF/lib/a.jar" in fail(tmp_path, spec)


def _crc_collision() -> tuple[bytes, bytes]:
    """Two different 8-byte payloads with the same CRC-32 (a birthday search: ~2^16 tries)."""
    rng = random.Random(0)
    seen: dict[int, bytes] = {}
    while True:
        data = rng.randbytes(8)
        crc = zlib.crc32(data)
        if crc in seen and seen[crc] != data:
            return seen[crc], data
        seen[crc] = data


def test_module_info_and_non_class_files_are_not_compared(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    a = write_jar(tmp_path / "in" / "m2" / "a.jar", {"module-info.class": b"a", "META-INF/versions/9/module-info.class":
                                                     b"a", "META-INF/LICENSE": b"MIT", "config.xml": b"<a/>"})
    b = write_jar(tmp_path / "in" / "m2" / "b.jar", {"module-info.class": b"b", "META-INF/versions/9/module-info.class":
                                                     b"b", "META-INF/LICENSE": b"BSD", "config.xml": b"<b/>"})
    build(tmp_path, _lib(_lib(inputs.spec(), "a.jar", a.path), "b.jar", b.path))


def test_versioned_classes_are_compared_per_version(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    a = write_jar(tmp_path / "in" / "m2" / "a.jar", {"META-INF/versions/11/p/Q.class": b"\xca\xfe1"})
    b = write_jar(tmp_path / "in" / "m2" / "b.jar", {"META-INF/versions/11/p/Q.class": b"\xca\xfe2"})
    line = fail(tmp_path, _lib(_lib(inputs.spec(), "a.jar", a.path), "b.jar", b.path))
    assert "duplicate class p.Q (Java 11+) with different bytes" in line


def test_the_ignorelist_excludes_a_jar_from_the_analysis(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    other = write_lib(tmp_path / "in" / "m2" / "jcommander-1.78.jar", "com/beust/jcommander", 4, variant="1.78")
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("# known: shaded copy\n\nsome/dir/jcommander-1.78.jar  # basename counts\n")
    jar = build(tmp_path, _lib(inputs.spec(dupeclassescheck_ignorelist=str(ignore)), "jcommander-1.78.jar",
                               other.path))
    assert jar.exists()


def test_the_check_can_be_turned_off(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    other = write_lib(tmp_path / "in" / "m2" / "jcommander-1.78.jar", "com/beust/jcommander", 4, variant="1.78")
    build(tmp_path, _lib(inputs.spec(dupeclassescheck=False), "jcommander-1.78.jar", other.path))


def test_a_test_library_in_the_runtime_closure_fails_naming_it(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    junit = write_lib(tmp_path / "in" / "m2" / "junit-jupiter-api-5.11.0.jar", "org/junit/jupiter/api")
    mockito = write_lib(tmp_path / "in" / "m2" / "mockito-core-5.14.jar", "org/mockito")
    spec = _lib(_lib(inputs.spec(), "junit-jupiter-api-5.11.0.jar", junit.path), "mockito-core-5.14.jar",
                mockito.path)
    line = fail(tmp_path, spec)
    assert (f"//app:app: BOOT-INF/lib/junit-jupiter-api-5.11.0.jar ({junit.path}) is a test library "
            "(its name matches deps_banned entry 'junit')") in line
    assert "(and 1 more: mockito-core-5.14.jar)" in line


def test_banned_words_are_configurable(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    hamcrest = write_lib(tmp_path / "in" / "m2" / "hamcrest-2.2.jar", "org/hamcrest")
    spec = _lib(inputs.spec(), "hamcrest-2.2.jar", hamcrest.path)
    assert "deps_banned entry 'hamcrest'" in fail(tmp_path, spec)
    build(tmp_path, dict(spec, banned=["junit"]), "allowed.jar")
    assert "matches deps_banned entry 'SPRING-CORE'" in fail(tmp_path, dict(spec, banned=["SPRING-CORE"]))
