"""Maven 3's version order (Maven Resolver's generic version scheme) and version-range detection.

The order only decides one thing in resolution: when one POM declares the same artifact twice,
the higher version wins (Maven's nearest-wins treats siblings that way). The rules, as Maven
Resolver documents them:

- a version splits into items at `.`, `-`, `_` and at every switch between digits and letters;
  numbers compare numerically (leading zeros do not count);
- qualifiers order `alpha` (`a` before a digit) < `beta` (`b`) < `milestone` (`m`) < `rc` = `cr`
  < `snapshot` < release (`ga`, `final`, `release` or nothing) < `sp`, then unknown words
  (case-insensitive, alphabetically) above them;
- missing trailing items count as zero / release (`1` = `1.0` = `1-ga`), `min` and `max` as a
  last item are below and above everything.
"""

from __future__ import annotations

import functools

_MIN, _QUALIFIER, _STRING, _INT, _MAX = 0, 2, 3, 4, 8
_QUALIFIERS = {
    "alpha": -5,
    "beta": -4,
    "milestone": -3,
    "cr": -2,
    "rc": -2,
    "snapshot": -1,
    "ga": 0,
    "final": 0,
    "release": 0,
    "": 0,
    "sp": 1,
}
_SHORT_QUALIFIERS = {"a": -5, "b": -4, "m": -3}


def _is_number(kind: int) -> bool:
    return kind in (_MIN, _INT, _MAX)


def _tokens(version: str) -> list[tuple[str, bool, bool, bool]]:
    """(token, is_number, followed_by_digit, at_end) for each item of `version`."""
    text = version or "0"
    tokens = []
    i, n = 0, len(text)
    while i < n:
        start, state, followed_by_digit = i, -2, False  # -2 nothing yet, -1 letters, 0 zeros, 1 number
        end = n
        while i < n:
            c = text[i]
            if c in ".-_":
                end = i
                i += 1
                break
            if c.isdigit():
                if state == -1:
                    end, followed_by_digit = i, True
                    break
                if state == 0:
                    start += 1  # a leading zero
                state = 1 if (state > 0 or c != "0") else 0
            else:
                if state >= 0:
                    end = i
                    break
                state = -1
            i += 1
        if end - start > 0:
            tokens.append((text[start:end], state >= 0, followed_by_digit, i >= n))
        else:
            tokens.append(("0", True, followed_by_digit, i >= n))
    return tokens


def _items(version: str) -> list[tuple[int, int | str]]:
    items: list[tuple[int, int | str]] = []
    for token, number, followed_by_digit, at_end in _tokens(version):
        if number:
            items.append((_INT, int(token)))
            continue
        lower = token.lower()
        if at_end and lower in ("min", "max"):
            items.append((_MIN, 0) if lower == "min" else (_MAX, 0))
        elif followed_by_digit and lower in _SHORT_QUALIFIERS:
            items.append((_QUALIFIER, _SHORT_QUALIFIERS[lower]))
        elif lower in _QUALIFIERS:
            items.append((_QUALIFIER, _QUALIFIERS[lower]))
        else:
            items.append((_STRING, lower))
    _trim_padding(items)
    return items


def _against_padding(item: tuple[int, int | str]) -> int:
    kind, value = item
    if kind == _MIN:
        return -1
    if kind in (_MAX, _STRING):
        return 1
    assert isinstance(value, int)
    return (value > 0) - (value < 0)


def _trim_padding(items: list[tuple[int, int | str]]) -> None:
    """Drops trailing zero/release items of each run of numbers or words, so 1.0 == 1."""
    number = None
    end = len(items) - 1
    for i in range(len(items) - 1, 0, -1):
        item_number = _is_number(items[i][0])
        if item_number != number:
            end, number = i, item_number
        if (end == i and (i == len(items) - 1 or _is_number(items[i - 1][0]) == item_number)
                and _against_padding(items[i]) == 0):
            del items[i]
            end -= 1


def _compare_items(a: tuple[int, int | str], b: tuple[int, int | str]) -> int:
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    if a[0] in (_MIN, _MAX):
        return 0
    return (a[1] > b[1]) - (a[1] < b[1])  # type: ignore[operator]


def _compare_padding(items: list[tuple[int, int | str]], index: int, number: bool | None) -> int:
    for item in items[index:]:
        if number is not None and number != _is_number(item[0]):
            break
        rel = _against_padding(item)
        if rel:
            return rel
    return 0


@functools.lru_cache(maxsize=4096)
def _parsed(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(_items(version))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version `a` orders before, equal to or after `b`."""
    these, those = _parsed(a), _parsed(b)
    number = True
    index = 0
    while True:
        if index >= len(these) and index >= len(those):
            return 0
        if index >= len(these):
            return -_compare_padding(list(those), index, None)
        if index >= len(those):
            return _compare_padding(list(these), index, None)
        this, that = these[index], those[index]
        if _is_number(this[0]) != _is_number(that[0]):
            if number == _is_number(this[0]):
                return _compare_padding(list(these), index, number)
            return -_compare_padding(list(those), index, number)
        rel = _compare_items(this, that)
        if rel:
            return rel
        number = _is_number(this[0])
        index += 1


def is_range(version: str) -> bool:
    """`[1.0,2.0)`, `(,1.0]`, `[1.5]`: a range, which Maven resolves against repository metadata."""
    return version[:1] in ("[", "(")
