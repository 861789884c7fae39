"""The resolver on index entries parsed from real Packages text (no network)."""

from __future__ import annotations

import random

import pytest

from tools.common.errors import UserError
from tools.debian.archive_index import IndexEntry
from tools.debian.control import parse_paragraphs
from tools.debian.resolver import resolve

INDEX = """\
Package: tool
Version: 1.0
Architecture: amd64
Depends: interp:any (>= 3.0), helper:native, libarch:amd64, common
Pre-Depends: libc

Package: interp
Version: 3.11
Architecture: amd64
Multi-Arch: allowed
Depends: libc (>= 2.30)

Package: interp
Version: 2.7
Architecture: amd64

Package: helper
Version: 1
Architecture: amd64

Package: libarch
Version: 5
Architecture: amd64

Package: libarch
Version: 6
Architecture: arm64

Package: common
Version: 1
Architecture: all
Depends: libc

Package: libc
Version: 2.36
Architecture: amd64
Depends: libgcc

Package: libgcc
Version: 12
Architecture: amd64
Depends: libc

Package: wants-arm
Version: 1
Architecture: amd64
Depends: libarch:arm64
"""


def _entries(text: str, suite: str = "s", rank: int = 0) -> list[IndexEntry]:
    out = []
    for p in parse_paragraphs(text, source="test"):
        out.append(IndexEntry(p["package"], p["version"], p["architecture"], p, "debian", suite, rank))
    return out


def _summary(resolution):
    return {n: (r.entry.version, r.depends) for n, r in resolution.packages.items()}


def test_qualifiers_and_cycles():
    result = resolve(_entries(INDEX), ["tool"], "amd64")
    assert _summary(result) == {
        "common": ("1", ("libc",)),
        "helper": ("1", ()),
        "interp": ("3.11", ("libc",)),
        "libarch": ("5", ()),
        "libc": ("2.36", ("libgcc",)),
        "libgcc": ("12", ("libc",)),
        "tool": ("1.0", ("common", "helper", "interp", "libarch", "libc")),
    }


def test_foreign_architecture_qualifier_is_not_satisfied():
    with pytest.raises(UserError, match=r"^wants-arm 1 depends on libarch:arm64, but the index only has libarch 5"):
        resolve(_entries(INDEX), ["wants-arm"], "amd64")


def test_order_of_paragraphs_does_not_matter():
    paragraphs = INDEX.strip().split("\n\n")
    expected = _summary(resolve(_entries(INDEX), ["tool"], "amd64"))
    for seed in range(10):
        random.Random(seed).shuffle(paragraphs)
        assert _summary(resolve(_entries("\n\n".join(paragraphs) + "\n"), ["tool"], "amd64")) == expected


def test_same_version_in_two_suites_prefers_first_source():
    first = _entries("Package: x\nVersion: 1\nArchitecture: amd64\nSHA256: " + "b" * 64 + "\n", "one", 0)
    second = _entries("Package: x\nVersion: 1\nArchitecture: amd64\nSHA256: " + "a" * 64 + "\n", "two", 1)
    for entries in (first + second, second + first):
        assert resolve(entries, ["x"], "amd64").packages["x"].entry.suite == "one"


def test_pinned_root_version():
    entries = _entries(INDEX)
    assert resolve(entries, ["interp (<< 3)"], "amd64").packages["interp"].entry.version == "2.7"
    with pytest.raises(UserError, match=r"^the manifest requests interp \(>> 4\), but the index only has interp 3.11"):
        resolve(entries, ["interp (>> 4)"], "amd64")
