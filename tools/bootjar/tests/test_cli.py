"""Bad input: one line `spring_boot_jar: error: ...`, exit 1, no traceback, no output written."""

from __future__ import annotations

import zipfile

import pytest

from tools.bootjar.tests.jarfixtures import (
    LAUNCHER_ENTRY, build, class_bytes, fail, run_tool, standard_inputs, write_jar, write_loader, write_spec)


@pytest.fixture
def inputs(tmp_path):
    return standard_inputs(tmp_path / "in")


def test_a_failed_run_leaves_the_previous_output_untouched(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    before = jar.read_bytes()
    fail(tmp_path, inputs.spec(start_class="com.example.Missing"))
    assert jar.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    ([], "--spec and --output are required"),
    (["--spec=x.json", "--output=o.jar", "extra"], "unexpected arguments 'extra'"),
    (["--spec=does-not-exist.json", "--output=o.jar"], "spec does-not-exist.json does not exist"),
    (["--spec=x.json", "--output=/no/such/dir/o.jar"], "output directory '/no/such/dir'"),
])
def test_flag_errors(tmp_path, args, message):
    result = run_tool(args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("spring_boot_jar: error: ") and message in result.stderr, result.stderr


@pytest.mark.parametrize("text, message", [
    ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    ("[]", "must be a JSON object"),
    ('{"loader": "l", "classes": ["a"], "start_class": "A", "colour": 1}', "unknown field(s) colour"),
    ('{"loader": "l", "classes": ["a"]}', "the field 'start_class' is required"),
    ('{"loader": "l", "classes": "a", "start_class": "A"}', "'classes' must be a list"),
    ('{"loader": "l", "classes": ["a"], "start_class": "A", "libs": [{"name": "x.jar"}]}',
     "libs[0] must be an object with name, path"),
    ('{"loader": "l", "classes": ["a"], "start_class": "A", "dupeclassescheck": "yes"}',
     "'dupeclassescheck' must be true or false"),
])
def test_spec_errors(tmp_path, text, message):
    spec = tmp_path / "spec.json"
    spec.write_text(text)
    result = run_tool([f"--spec={spec}", f"--output={tmp_path / 'o.jar'}"])
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr and str(spec) in result.stderr, result.stderr
    assert not (tmp_path / "o.jar").exists()


def test_missing_and_broken_jars(tmp_path, inputs):
    assert "the loader jar /nowhere.jar does not exist" in fail(tmp_path, inputs.spec(loader="/nowhere.jar"))
    junk = tmp_path / "junk.jar"
    junk.write_bytes(b"this is not a zip file")
    line = fail(tmp_path, inputs.spec(libs=[{"name": "junk.jar", "path": str(junk)}]))
    assert f"BOOT-INF/lib/junk.jar {junk} is not a readable jar" in line
    assert f"the application jar {junk} is not a readable jar" in fail(tmp_path, inputs.spec(classes=[str(junk)]))


def test_a_corrupted_entry_is_reported_not_copied(tmp_path, inputs):
    data = bytearray(inputs.app.path.read_bytes())
    with zipfile.ZipFile(inputs.app.path) as zf:
        info = zf.getinfo("com/example/App.class")
    # Flip a byte inside the entry's compressed data: its CRC-32 no longer matches.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 5
    data[start] ^= 0xFF
    broken = tmp_path / "broken.jar"
    broken.write_bytes(bytes(data))
    line = fail(tmp_path, inputs.spec(classes=[str(broken)]))
    assert f"the application jar {broken}: cannot read 'com/example/App.class'" in line


def test_loader_problems(tmp_path, inputs):
    no_version = write_loader(tmp_path / "l1.jar", version=None)
    assert "has no usable Implementation-Version" in fail(tmp_path, inputs.spec(loader=str(no_version.path)))
    build(tmp_path, inputs.spec(loader=str(no_version.path), spring_boot_version="3.5.7"))
    line = fail(tmp_path, inputs.spec(launcher_class="org.springframework.boot.loader.JarLauncher"))
    assert "has no org/springframework/boot/loader/JarLauncher.class" in line
    not_a_loader = write_jar(tmp_path / "l2.jar", {LAUNCHER_ENTRY: b"x", "BOOT-INF/x.class": b"y"},
                             manifest="Manifest-Version: 1.0\r\nImplementation-Version: 1\r\n\r\n")
    assert "that is not a spring-boot-loader jar" in fail(tmp_path, inputs.spec(loader=str(not_a_loader.path)))


def test_start_class_problems(tmp_path, inputs):
    assert "is not a fully qualified Java class name" in fail(tmp_path, inputs.spec(start_class="com.example."))
    assert "is not a fully qualified Java class name" in fail(tmp_path, inputs.spec(start_class="a\nb"))
    line = fail(tmp_path, inputs.spec(start_class="com.example.Missing"))
    assert "Start-Class com.example.Missing: no com/example/Missing.class in the application jar(s)" in line


def test_a_start_class_from_a_runtime_jar_is_accepted(tmp_path, inputs):
    build(tmp_path, inputs.spec(start_class="com.beust.jcommander.C0"))


def test_lib_name_problems(tmp_path, inputs):
    lib = str(inputs.libs[0][1].path)
    assert "must be a plain file name ending in .jar" in fail(
        tmp_path, inputs.spec(libs=[{"name": "a/b.jar", "path": lib}]))
    assert "must be a plain file name ending in .jar" in fail(
        tmp_path, inputs.spec(libs=[{"name": "b.zip", "path": lib}]))
    for name in ('a"b.jar', "a\nb.jar", "a\\b.jar"):
        assert "must be a plain file name ending in .jar" in fail(
            tmp_path, inputs.spec(libs=[{"name": name, "path": lib}]))
    line = fail(tmp_path, inputs.spec(libs=[{"name": "b.jar", "path": lib}, {"name": "b.jar", "path": "other"}]))
    assert f"two jars would both be BOOT-INF/lib/b.jar: {lib} and other" in line


@pytest.mark.parametrize("name", ["../evil.class", "/abs.class", "a//b.class", "a\\b.class"])
def test_unsafe_entry_names_are_refused(tmp_path, inputs, name):
    app = write_jar(tmp_path / "evil.jar", {"com/example/App.class": class_bytes("App"), name: b"x"},
                    directories=False)
    assert "which is not a plain relative path" in fail(tmp_path, inputs.spec(classes=[str(app.path)]))


def test_a_name_that_is_both_file_and_directory_is_refused(tmp_path, inputs):
    app = write_jar(tmp_path / "clash.jar", {"com/example/App.class": class_bytes("App"), "conf": b"x",
                                             "conf/a.xml": b"y"}, directories=False)
    assert "BOOT-INF/classes/conf (" in fail(tmp_path, inputs.spec(classes=[str(app.path)]))


def test_two_application_jars_merge_and_must_agree(tmp_path, inputs):
    extra = write_jar(tmp_path / "extra.jar", {"com/example/Extra.class": class_bytes("Extra"),
                                               "com/example/App.class": inputs.app.entries["com/example/App.class"]})
    jar = build(tmp_path, inputs.spec(classes=[str(inputs.app.path), str(extra.path)]))
    with zipfile.ZipFile(jar) as zf:
        assert "BOOT-INF/classes/com/example/Extra.class" in zf.namelist()
    clash = write_jar(tmp_path / "clash.jar", {"com/example/App.class": b"other"})
    line = fail(tmp_path, inputs.spec(classes=[str(inputs.app.path), str(clash.path)]))
    assert "com/example/App.class differs between the application jars" in line


def test_spec_written_by_hand_with_relative_paths(tmp_path, inputs):
    spec = write_spec(tmp_path / "s.json", inputs.spec())
    result = run_tool([f"--spec={spec}", "--output=rel.jar"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rel.jar").is_file()


def test_an_unsupported_compression_method_is_named(tmp_path, inputs):
    app = tmp_path / "bzip2.jar"
    with zipfile.ZipFile(app, "w") as zf:
        zf.writestr("com/example/App.class", class_bytes("App"), compress_type=zipfile.ZIP_BZIP2)
    line = fail(tmp_path, inputs.spec(classes=[str(app)]))
    assert "compression method 12 is not supported (only stored and deflated)" in line


def test_zip64_inputs_are_read(tmp_path, inputs):
    # More than 65,535 entries: zipfile writes a zip64 end of central directory record.
    big = tmp_path / "many.jar"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as zf:
        for i in range(70_000):
            zf.writestr(f"m/R{i}.txt", b"")
        zf.writestr("com/beust/jcommander/C0.class", b"\xca\xfe other bytes")
    line = fail(tmp_path, inputs.spec(libs=inputs.spec()["libs"] + [{"name": "many.jar", "path": str(big)}]))
    assert "duplicate class com.beust.jcommander.C0 with different bytes" in line and "many.jar" in line
