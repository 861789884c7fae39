"""Relation parsing, version comparison and paragraph parsing on real Debian syntax."""

from __future__ import annotations

import pytest

from tools.common.errors import UserError
from tools.debian.control import Atom, parse_paragraphs, parse_relations, parse_version, version_satisfies


def test_relations_with_alternatives_versions_and_qualifiers():
    relations = parse_relations(
        "libc6 (>= 2.34), libgcc-s1 (>= 3.0) | libgcc1,\n python3:any (<< 3.12~), foo:native, bar (> 1), baz (<2)",
        source="t",
    )
    assert relations == (
        (Atom("libc6", None, ">=", "2.34"),),
        (Atom("libgcc-s1", None, ">=", "3.0"), Atom("libgcc1")),
        (Atom("python3", "any", "<<", "3.12~"),),
        (Atom("foo", "native"),),
        (Atom("bar", None, ">=", "1"),),  # obsolete ">" means ">="
        (Atom("baz", None, "<=", "2"),),  # obsolete "<" means "<="
    )
    assert parse_relations("", source="t") == ()
    assert parse_relations(None, source="t") == ()


@pytest.mark.parametrize("text", ["libc6 (>= )", "Foo_Bar", "libc6 [amd64]", "x (=> 1)"])
def test_malformed_relations(text):
    with pytest.raises(UserError):
        parse_relations(text, source="t")


@pytest.mark.parametrize(
    "a, op, b, expected",
    [
        ("1:0.5", ">>", "2.0", True),
        ("1.0~rc1", "<<", "1.0", True),
        ("2.36-9+deb12u13", "<<", "2.36-9+deb12u14", True),
        ("12.2.0-14+deb12u1+", ">>", "12.2.0-14+deb12u1", True),  # debian-inspector's regex rejects it
        ("1.0", "=", "1.0-0", True),
        ("1.0", "<=", "1.0", True),
        ("1.0a", ">=", "1.0", True),
        ("1.0", ">>", "1.0", False),
    ],
)
def test_version_comparison(a, op, b, expected):
    assert version_satisfies(a, op, b) is expected


def test_invalid_version():
    with pytest.raises(UserError, match="invalid Debian version"):
        parse_version("abc")


def test_paragraphs_keep_multiline_values():
    text = "Package: a\nDescription: x\n line two\n .\n\nPackage: b\nVersion: 1\n"
    assert parse_paragraphs(text, source="t") == [
        {"package": "a", "description": "x\n line two\n ."},
        {"package": "b", "version": "1"},
    ]


def test_duplicate_field_is_refused():
    with pytest.raises(UserError, match="appears twice"):
        parse_paragraphs("Package: a\nPackage: b\n", source="t")
