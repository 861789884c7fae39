"""Maven Resolver's version order (the cases its documentation and tests name).

When this was written, these cases and 3000 random pairs were also compared by Maven Resolver
1.6.3's GenericVersionScheme itself (Maven 3.8.7's): every answer agreed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tools.maven.version import compare, is_range

# Each list is in ascending order.
ORDERED = [
    ["1-alpha-1", "1-alpha-2", "1-beta-1", "1-milestone-1", "1-rc-1", "1-SNAPSHOT", "1", "1-sp-1", "1-abc", "1.0.1"],
    ["1.0.0a1", "1.0.0b1", "1.0.0m1", "1.0.0"],
    ["1.9", "1.10", "1.100", "2"],
    ["2.0.0.RC1", "2.0.0.RELEASE"],
    ["1.0-min", "1.0", "1.0-max"],
    ["1", "1.1", "1.1.1-beta", "1.1.1"],
    ["0.9.9", "1.0.0-alpha", "1.0.0"],
]
EQUAL = [("1", "1.0"), ("1.0", "1.0.0"), ("1-ga", "1"), ("1-final", "1.0"), ("1.RELEASE", "1"), ("1-rc-1", "1-cr-1"),
         ("1.007", "1.7"), ("1.A", "1.a"), ("2.0.0-RC1", "2.0.0-rc-1")]


@pytest.mark.parametrize("ordered", ORDERED)
def test_ascending(ordered):
    for low, high in zip(ordered, ordered[1:]):
        assert compare(low, high) == -1, (low, high)
        assert compare(high, low) == 1, (high, low)


@pytest.mark.parametrize("a, b", EQUAL)
def test_equal(a, b):
    assert compare(a, b) == 0


_versions = st.from_regex(r"\A[0-9a-zA-Z]{1,4}([.\-_][0-9a-zA-Z]{1,4}){0,4}\Z")


@given(_versions, _versions)
def test_antisymmetric_and_reflexive(a, b):
    assert compare(a, b) == -compare(b, a)
    assert compare(a, a) == 0


def test_not_transitive_where_maven_is_not():
    # Maven's order is not transitive across a word and a number at the same place: "A" equals
    # "0" (a word against the padding of a shorter number), "0A" equals "A", yet "0A" > "0".
    assert (compare("0A", "A"), compare("A", "0"), compare("0A", "0")) == (0, 0, 1)


def test_ranges():
    assert is_range("[1.0,2.0)") and is_range("(,1.0]") and is_range("[1.5]")
    assert not is_range("1.0") and not is_range("${v}")
