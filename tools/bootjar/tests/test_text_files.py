"""The generated text files, byte for byte: manifest wrapping, properties escapes, layers.idx."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tools.bootjar import text_files
from tools.bootjar.jars import parse_main_attributes
from tools.common.errors import UserError


def test_manifest_lines_wrap_at_72_bytes_with_a_leading_space():
    value = "com.example." + "a" * 100
    data = text_files.manifest([("Start-Class", value)])
    lines = data.split(b"\r\n")
    assert lines[-2:] == [b"", b""]
    assert len(lines[0]) == 72 and lines[1].startswith(b" ") and len(lines[1]) <= 72
    assert parse_main_attributes(data.decode()) == {"start-class": value}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), max_size=300))
def test_manifest_wrapping_never_splits_utf8_and_round_trips(value):
    data = text_files.manifest([("Implementation-Title", value)])
    for line in data.split(b"\r\n"):
        assert len(line) <= 72
        line.decode("utf-8")  # every line is valid UTF-8 on its own
    assert parse_main_attributes(data.decode("utf-8"))["implementation-title"] == value.strip()


def test_manifest_refuses_line_breaks():
    with pytest.raises(UserError, match="line break"):
        text_files.manifest([("Start-Class", "a\nb")])


def test_properties_escapes_only_what_load_needs():
    assert text_files.properties({"b": "x", "a": "//p:t"}) == b"a=//p:t\nb=x\n"
    assert text_files.properties({"k": " lead\\ü\t"}) == b"k=\\ lead\\\\\\u00fc\\t\n"
    assert text_files.properties({"a key=:": "v"}) == b"a\\ key\\=\\:=v\n"
    assert text_files.properties({"k": "\U0001f600"}) == b"k=\\ud83d\\ude00\n"


def test_layers_index_compacts_directories_of_one_layer():
    index = text_files.layers_index({
        "org/springframework/boot/loader/A.class": text_files.SPRING_BOOT_LOADER,
        "org/springframework/boot/loader/b/B.class": text_files.SPRING_BOOT_LOADER,
        "org/other/C.class": text_files.APPLICATION,
        "BOOT-INF/lib/a.jar": text_files.DEPENDENCIES,
        "BOOT-INF/lib/b-SNAPSHOT.jar": text_files.SNAPSHOT_DEPENDENCIES,
    })
    assert index.decode() == (
        '- "dependencies":\n'
        '  - "BOOT-INF/lib/a.jar"\n'
        '- "spring-boot-loader":\n'
        '  - "org/springframework/"\n'
        '- "snapshot-dependencies":\n'
        '  - "BOOT-INF/lib/b-SNAPSHOT.jar"\n'
        '- "application":\n'
        '  - "org/other/"\n')


def test_layers_index_sorts_like_java_strings():
    # U+FF5E sorts before U+1F600 by code point, after it by UTF-16 code unit (Java's order).
    index = text_files.layers_index({"\U0001f600.txt": text_files.APPLICATION, "\uff5e.txt": text_files.APPLICATION,
                                     "x/a": text_files.DEPENDENCIES})
    assert index.decode().splitlines()[-2:] == ['  - "\U0001f600.txt"', '  - "\uff5e.txt"']
