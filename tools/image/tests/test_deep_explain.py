"""The deep explainer: two images that differ only inside a jar (a class's bytes, a nested
jar's, an entry's timestamp or order), inside an ELF file's sections, read from layouts and
tarballs; its JSON output; registry references refused in one line until they can be pulled."""

from __future__ import annotations

import json
import struct
import zipfile

import pytest

from tools.common.errors import UserError
from tools.image import archive_diff, class_file, explain
from tools.image.tests.archives import class_bytes, jar
from tools.image.tests.fixtures import IMAGE_DIFF, REPO_ROOT, Entry, build_image, run_tool, write_layer

TARBALL = REPO_ROOT / "tools" / "image" / "image_tarball.py"


def _layout(root, name, files):
    base = write_layer(root / "in", "base", [Entry("etc/motd", b"hi\n")])
    app = write_layer(root / "in", name, [Entry(path, data) for path, data in files])
    build_image(root / name, [base, app], entrypoint=["/app/run"])
    return str(root / name)


CLASSES = [("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n"),
           ("org/example/Greeting.class", class_bytes("org.example.Greeting", b"hello"))]


def test_class_file_name():
    assert class_file.class_name(class_bytes("org.example.Foo")) == "org.example.Foo"
    assert class_file.version(class_bytes("a.B")) == "61.0"
    assert class_file.class_name(b"not a class") is None


def test_two_layouts_differing_only_inside_a_jar_name_jar_entry_class_and_field(tmp_path):
    a = _layout(tmp_path, "a", [("app/app.jar", jar(CLASSES))])
    changed = [CLASSES[0], ("org/example/Greeting.class", class_bytes("org.example.Greeting", b"howdy"))]
    b = _layout(tmp_path, "b", [("app/app.jar", jar(changed))])
    result = explain.explain(a, b)
    layer = result.first_layer
    assert layer.index == 1 and layer.comparison.first.path == "app/app.jar"
    inner = layer.inner
    assert (inner.path, inner.format, inner.entry, inner.class_name) == \
        ("app/app.jar", "jar", "org/example/Greeting.class", "org.example.Greeting")
    assert "crc32" in {f.name for f in inner.fields} and inner.causes == ["content"]
    text = result.render()
    assert "inside app/app.jar (jar): first differing entry org/example/Greeting.class" in text
    assert "class org.example.Greeting" in text
    doc = result.to_json()
    assert doc["first_layer"]["first_entry"]["path"] == "app/app.jar"
    assert doc["first_layer"]["inner"]["entry"] == "org/example/Greeting.class"
    assert doc["first_layer"]["inner"]["class"] == "org.example.Greeting"
    json.dumps(doc)  # every value is JSON


def test_a_nested_jar_is_followed_into(tmp_path):
    lib = lambda greeting: jar([("org/lib/Lib.class", class_bytes("org.lib.Lib", greeting))])  # noqa: E731
    boot = lambda greeting: jar([("BOOT-INF/lib/lib-1.0.jar", lib(greeting))], method=zipfile.ZIP_STORED)  # noqa: E731
    a = _layout(tmp_path, "a", [("service.jar", boot(b"x"))])
    b = _layout(tmp_path, "b", [("service.jar", boot(b"y"))])
    inner = explain.explain(a, b).first_layer.inner
    assert inner.entry == "BOOT-INF/lib/lib-1.0.jar"
    assert inner.inner.path == "service.jar!/BOOT-INF/lib/lib-1.0.jar"
    assert (inner.inner.entry, inner.inner.class_name) == ("org/lib/Lib.class", "org.lib.Lib")


@pytest.mark.parametrize("change,field,cause", [
    (dict(date=(2024, 5, 6, 7, 8, 10)), "mtime", "timestamp"),
    (dict(method=zipfile.ZIP_STORED), "compression", "compressor"),
])
def test_known_causes_inside_a_jar(change, field, cause):
    finding = archive_diff.compare("x.jar", jar(CLASSES), jar(CLASSES, **change))
    assert finding.entry == "META-INF/MANIFEST.MF" and field in {f.name for f in finding.fields}
    assert cause in finding.causes


def test_order_and_build_path_are_recognised():
    finding = archive_diff.compare("x.jar", jar(CLASSES), jar(list(reversed(CLASSES))))
    assert finding.causes == ["order"] and finding.entry == "META-INF/MANIFEST.MF"
    a = jar([("build-data.properties", b"build.target=//app:app\n")])
    b = jar([("build-data.properties", b"build.target=/home/alice/src/app/BUILD\n")])
    finding = archive_diff.compare("x.jar", a, b)
    assert "build path" in finding.causes and "/home/alice/src/app/BUILD" in finding.note


def test_a_wheel_is_named_a_wheel():
    a = jar([("pkg-1.0.dist-info/RECORD", b"a")])
    b = jar([("pkg-1.0.dist-info/RECORD", b"b")])
    assert archive_diff.compare("pkg-1.0-py3-none-any.whl", a, b).format == "wheel"


def _elf(sections: dict[str, bytes]) -> bytes:
    """A minimal 64-bit little-endian ELF file with the given sections (and .shstrtab)."""
    names = b"\0" + b"".join(n.encode() + b"\0" for n in list(sections) + [".shstrtab"])
    body = b"".join(sections.values()) + names
    offset = 64
    headers = [b"\0" * 64]
    name_at = 1
    for name, data in list(sections.items()) + [(".shstrtab", names)]:
        headers.append(struct.pack("<IIQQQQIIQQ", name_at, 1, 0, 0, offset, len(data), 0, 0, 1, 0))
        name_at += len(name) + 1
        offset += len(data)
    shoff = 64 + len(body)
    header = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 3, 62, 1, 0, 0, shoff, 0, 64, 56,
                         0, 64, len(headers), len(headers) - 1)
    return header + body + b"".join(headers)


def test_an_elf_file_names_the_differing_section(tmp_path):
    a = _elf({".text": b"\x90" * 16, ".comment": b"clang 16\0"})
    b = _elf({".text": b"\x90" * 16, ".comment": b"clang 16 /home/bob/x\0"})
    la = _layout(tmp_path, "a", [("app/libx.so", a)])
    lb = _layout(tmp_path, "b", [("app/libx.so", b)])
    inner = explain.explain(la, lb).first_layer.inner
    assert (inner.format, inner.entry) == ("elf", "section .comment")
    assert "build path" in inner.causes


def test_tarballs_read_like_layouts_and_json_cli(tmp_path):
    a = _layout(tmp_path, "a", [("app/app.jar", jar(CLASSES))])
    b = _layout(tmp_path, "b", [("app/app.jar", jar(CLASSES, date=(2020, 1, 1, 0, 0, 0)))])
    tar = tmp_path / "b.tar"
    assert run_tool(TARBALL, [f"--layout={b}", "--repo_tag=b:latest", f"--output={tar}"]).returncode == 0
    result = run_tool(IMAGE_DIFF, ["--json", a, str(tar)])
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["b"]["ref"] == str(tar) and doc["identical"] is False
    assert doc["first_layer"]["inner"]["causes"] == ["timestamp"]


def test_a_docker_save_tarball_without_a_layout(tmp_path):
    import tarfile

    a = _layout(tmp_path, "a", [("app/app.jar", jar(CLASSES))])
    b = _layout(tmp_path, "b", [("app/app.jar", jar(CLASSES, date=(2020, 1, 1, 0, 0, 0)))])
    tar = tmp_path / "b.tar"
    assert run_tool(TARBALL, [f"--layout={b}", "--repo_tag=b:latest", f"--output={tar}"]).returncode == 0
    legacy = tmp_path / "legacy.tar"
    with tarfile.open(tar) as src, tarfile.open(legacy, "w") as dst:
        for member in src:
            if member.name not in ("index.json", "oci-layout"):
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    result = explain.explain(a, str(legacy))
    assert result.first_layer.index == 1 and result.first_layer.inner.causes == ["timestamp"]


def test_a_registry_reference_that_cannot_be_pulled_is_one_line():
    # Pulled by the registry client (tools/verify/tests/test_registry.py pulls from a real one);
    # a host that cannot exist (RFC 6761 .invalid) fails in one line naming the reference.
    with pytest.raises(UserError, match=r"^pulling registry\.invalid/fcp/collector:latest failed: cannot resolve host"):
        explain.explain("registry.invalid/fcp/collector:latest", "registry.invalid/fcp/collector@sha256:" + "0" * 64)
