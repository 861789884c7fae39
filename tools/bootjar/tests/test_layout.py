"""What the boot jar holds: the Spring Boot 3.2+ layout, manifest, indexes and build data."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest

from tools.bootjar import zip_writer
from tools.bootjar.jars import parse_main_attributes
from tools.bootjar.tests.jarfixtures import (
    LAUNCHER_ENTRY, build, raw_entries, sha256, standard_inputs, write_jar, write_lib)


@pytest.fixture
def inputs(tmp_path):
    return standard_inputs(tmp_path / "in")


def _names(jar):
    with zipfile.ZipFile(jar) as zf:
        return zf.namelist()


def _read(jar, name):
    with zipfile.ZipFile(jar) as zf:
        return zf.read(name)


def test_layout_and_order(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    names = _names(jar)
    assert names[:2] == ["META-INF/", "META-INF/MANIFEST.MF"]
    assert names[2:] == sorted(names[2:]), "every entry after the manifest is sorted"
    assert len(names) == len(set(names))
    # every parent directory has an entry, before its children
    for i, name in enumerate(names):
        parent = name.rstrip("/").rpartition("/")[0]
        if parent:
            assert names.index(parent + "/") < i, name
    assert "BOOT-INF/classes/" in names and "BOOT-INF/lib/" in names
    assert [n for n in names if n.startswith("BOOT-INF/lib/") and n != "BOOT-INF/lib/"] == [
        "BOOT-INF/lib/jcommander-1.82.jar", "BOOT-INF/lib/libhelper.jar", "BOOT-INF/lib/spring-core-6.2.12.jar"]
    # the loader's classes and its service file at the root; not its manifest or licence
    assert LAUNCHER_ENTRY in names
    assert "META-INF/services/java.nio.file.spi.FileSystemProvider" in names
    assert "META-INF/LICENSE.txt" not in names
    # the application jar's entries under BOOT-INF/classes/, its manifest dropped
    assert "BOOT-INF/classes/com/example/App.class" in names
    assert "BOOT-INF/classes/META-INF/spring.factories" in names
    assert "BOOT-INF/classes/META-INF/MANIFEST.MF" not in names
    for name, data in inputs.app.entries.items():
        if name != "META-INF/MANIFEST.MF":
            assert _read(jar, "BOOT-INF/classes/" + name) == data


def test_lib_entries_are_stored_and_byte_identical(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    data = jar.read_bytes()
    entries, _ = raw_entries(data)
    libs = {e.name: e for e in entries if e.name.startswith("BOOT-INF/lib/") and e.name.endswith(".jar")}
    assert set(libs) == {f"BOOT-INF/lib/{name}" for name, _ in inputs.libs}
    for name, lib in inputs.libs:
        entry = libs[f"BOOT-INF/lib/{name}"]
        assert entry.method == zipfile.ZIP_STORED
        assert entry.compressed_size == entry.size == lib.path.stat().st_size
        assert sha256(data[entry.data_start:entry.data_start + entry.size]) == sha256(lib.path.read_bytes())
    others = [e for e in entries if not e.name.endswith("/") and e.name not in libs]
    assert others and all(e.method == zipfile.ZIP_DEFLATED for e in others)
    assert {(e.date, e.time) for e in entries} == {(zip_writer.DOS_DATE, 0)}


def test_manifest(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    text = _read(jar, "META-INF/MANIFEST.MF").decode("utf-8")
    assert text.endswith("\r\n\r\n") and "\n" not in text.replace("\r\n", "")
    assert parse_main_attributes(text) == {
        "manifest-version": "1.0",
        "created-by": "reproimage spring_boot_jar",
        "main-class": "org.springframework.boot.loader.launch.JarLauncher",
        "start-class": "com.example.App",
        "spring-boot-version": "3.5.7",
        "spring-boot-classes": "BOOT-INF/classes/",
        "spring-boot-lib": "BOOT-INF/lib/",
        "spring-boot-classpath-index": "BOOT-INF/classpath.idx",
        "spring-boot-layers-index": "BOOT-INF/layers.idx",
    }
    assert "Build-Jdk" not in text and "Built-By" not in text


def test_spring_boot_version_given_overrides_the_loaders(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec(spring_boot_version="3.5.8"))
    assert "Spring-Boot-Version: 3.5.8\r\n" in _read(jar, "META-INF/MANIFEST.MF").decode()


def test_build_data_holds_only_the_target_and_main_class(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec(build_target="//shuffler/services/collector:collector_application"))
    assert _read(jar, "build-data.properties") == (
        b"build.target=//shuffler/services/collector:collector_application\nmain.class=com.example.App\n")


def test_classpath_index_follows_archive_order(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    index = _read(jar, "BOOT-INF/classpath.idx").decode().splitlines()
    archive_libs = [n for n in _names(jar) if n.startswith("BOOT-INF/lib/") and n.endswith(".jar")]
    assert index == [f'- "{n}"' for n in archive_libs]


def test_classpath_lib_order_keeps_the_given_order(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec(lib_order="classpath"))
    names = _names(jar)
    libs = [n for n in names if n.startswith("BOOT-INF/lib/") and n.endswith(".jar")]
    assert libs == [f"BOOT-INF/lib/{name}" for name, _ in inputs.libs]
    start = names.index("BOOT-INF/lib/")
    assert names[start + 1:start + 1 + len(libs)] == libs, "the jars stay one block after their directory"
    rest = [n for n in names[2:] if n not in libs]
    assert rest == sorted(rest)
    assert _read(jar, "BOOT-INF/classpath.idx").decode().splitlines() == [f'- "{n}"' for n in libs]


def test_layers_index(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    assert _read(jar, "BOOT-INF/layers.idx").decode() == (
        '- "dependencies":\n'
        '  - "BOOT-INF/lib/"\n'
        '- "spring-boot-loader":\n'
        '  - "org/"\n'
        '- "snapshot-dependencies":\n'
        '- "application":\n'
        '  - "BOOT-INF/classes/"\n'
        '  - "BOOT-INF/classpath.idx"\n'
        '  - "BOOT-INF/layers.idx"\n'
        '  - "META-INF/"\n'
        '  - "build-data.properties"\n')


def test_layers_index_splits_snapshot_and_project_jars(tmp_path, inputs):
    snapshot = write_lib(tmp_path / "in" / "m2" / "thing-1.0-SNAPSHOT.jar", "org/thing")
    spec = inputs.spec()
    spec["libs"].append({"name": "thing-1.0-SNAPSHOT.jar", "path": str(snapshot.path)})
    spec["libs"][2]["application"] = True  # libhelper.jar, built in this workspace
    jar = build(tmp_path, spec)
    assert _read(jar, "BOOT-INF/layers.idx").decode() == (
        '- "dependencies":\n'
        '  - "BOOT-INF/lib/jcommander-1.82.jar"\n'
        '  - "BOOT-INF/lib/spring-core-6.2.12.jar"\n'
        '- "spring-boot-loader":\n'
        '  - "org/"\n'
        '- "snapshot-dependencies":\n'
        '  - "BOOT-INF/lib/thing-1.0-SNAPSHOT.jar"\n'
        '- "application":\n'
        '  - "BOOT-INF/classes/"\n'
        '  - "BOOT-INF/classpath.idx"\n'
        '  - "BOOT-INF/layers.idx"\n'
        '  - "BOOT-INF/lib/libhelper.jar"\n'
        '  - "META-INF/"\n'
        '  - "build-data.properties"\n')


def test_no_libs_and_an_empty_application_jar(tmp_path, inputs):
    app = write_jar(tmp_path / "in" / "empty.jar", {"com/example/App.class": b"\xca\xfe\xba\xbe"})
    jar = build(tmp_path, inputs.spec(libs=[], classes=[str(app.path)]))
    names = _names(jar)
    assert "BOOT-INF/lib/" in names and _read(jar, "BOOT-INF/classpath.idx") == b""


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
def test_unzip_v_shows_stored_libs_sorted_names_one_timestamp(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    listing = subprocess.run(["unzip", "-v", str(jar)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[3:-2]]
    assert rows and all(len(row) == 8 for row in rows), listing
    names = [row[7] for row in rows]
    assert names == _names(jar)
    assert names[2:] == sorted(names[2:])
    assert {(row[4], row[5]) for row in rows} == {("2010-01-01", "00:00")}
    for row in rows:
        if row[7].startswith("BOOT-INF/lib/") and row[7].endswith(".jar"):
            assert row[1] == "Stored" and row[0] == row[2], row
        elif not row[7].endswith("/"):
            assert row[1] == "Defl:N", row
    test = subprocess.run(["unzip", "-tq", str(jar)], capture_output=True, text=True)
    assert test.returncode == 0, test.stdout + test.stderr


def test_readable_by_zipfile_and_jarfile_style_readers(tmp_path, inputs):
    jar = build(tmp_path, inputs.spec())
    with zipfile.ZipFile(io.BytesIO(jar.read_bytes())) as zf:
        assert zf.testzip() is None
        nested = zf.read("BOOT-INF/lib/jcommander-1.82.jar")
    with zipfile.ZipFile(io.BytesIO(nested)) as inner:
        assert inner.testzip() is None


def test_starter_and_annotation_processor_jars_are_left_out(tmp_path, inputs):
    spec = inputs.spec()
    for name, jar_type in (("spring-boot-starter-web-3.5.7.jar", "dependencies-starter"),
                           ("spring-boot-configuration-processor-3.5.7.jar", "annotation-processor")):
        jar = write_jar(tmp_path / "in" / "m2" / name, {"META-INF/LICENSE.txt": b"Apache\n"},
                        manifest=f"Manifest-Version: 1.0\r\nSpring-Boot-Jar-Type: {jar_type}\r\n\r\n")
        spec["libs"].append({"name": name, "path": str(jar.path)})
    jar = build(tmp_path, spec)
    libs = [n for n in _names(jar) if n.startswith("BOOT-INF/lib/") and n.endswith(".jar")]
    assert libs == ["BOOT-INF/lib/jcommander-1.82.jar", "BOOT-INF/lib/libhelper.jar",
                    "BOOT-INF/lib/spring-core-6.2.12.jar"]
    assert _read(jar, "BOOT-INF/classpath.idx").decode().splitlines() == [f'- "{n}"' for n in libs]
