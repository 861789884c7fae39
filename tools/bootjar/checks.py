"""The two checks a boot jar must pass: no class twice with different bytes, no test library.

A class that two jars (or the application's classes and a jar) carry with different bytes
means two versions of a library on one classpath: which one the JVM loads then depends on the
classpath order. Identical copies are harmless and pass. Test libraries (JUnit, Mockito, ...)
in the runtime closure mean a test dependency leaked into production code.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterable, Sequence

from tools.bootjar.jars import InputJar, Member
from tools.common.errors import UserError

# Substrings of jar file names that mark test-only libraries (rules_spring's deps_banned
# matches the same way; its default is junit and mockito).
DEFAULT_BANNED = ("junit", "mockito", "assertj", "hamcrest", "spring-boot-test", "spring-test", "opentest4j",
                  "testng")


@dataclasses.dataclass(frozen=True)
class ClassSource:
    """Where classes come from, as error messages name it."""

    display: str
    jar: InputJar


@dataclasses.dataclass(frozen=True)
class Conflict:
    entry: str  # the class's entry name inside its jar, e.g. com/example/A.class
    first: str
    second: str

    @property
    def class_name(self) -> str:
        name = self.entry[:-len(".class")]
        if name.startswith("META-INF/versions/"):
            version, _, name = name[len("META-INF/versions/"):].partition("/")
            return f"{name.replace('/', '.')} (Java {version}+)"
        return name.replace("/", ".")


def _is_checked_class(name: str) -> bool:
    # module-info.class is per jar by design: every modular jar has its own.
    return name.endswith(".class") and name != "module-info.class" and not name.endswith("/module-info.class")


def find_conflicts(sources: Sequence[ClassSource]) -> list[Conflict]:
    """Every class present in two sources with different bytes, sorted by entry name; per class
    the first source in order and the first later source that differs from it."""
    seen: dict[str, list[tuple[ClassSource, Member]]] = {}
    for source in sources:
        for member in source.jar.members:
            if _is_checked_class(member.name):
                seen.setdefault(member.name, []).append((source, member))
    conflicts = []
    for name in sorted(seen):
        places = seen[name]
        if len(places) < 2:
            continue
        first_source, first = places[0]
        for source, member in places[1:]:
            if source is first_source:
                continue
            if _differ(first_source, first, source, member):
                conflicts.append(Conflict(name, first_source.display, source.display))
                break
    return conflicts


def _differ(a_source: ClassSource, a: Member, b_source: ClassSource, b: Member) -> bool:
    if (a.crc, a.size) != (b.crc, b.size):
        return True
    # Same CRC-32 and size almost always means same bytes; compare them to be sure.
    return a_source.jar.read(a.name) != b_source.jar.read(b.name)


def conflicts_message(target: str, conflicts: Sequence[Conflict]) -> str:
    first = conflicts[0]
    more = ""
    if len(conflicts) > 1:
        pairs = {(c.first, c.second) for c in conflicts}
        more = f" (and {len(conflicts) - 1} more conflicting classes, {len(pairs)} jar pair(s) in all)"
    return (f"{target}: duplicate class {first.class_name} with different bytes in {first.first} and "
            f"{first.second}{more}; keep one version of the library (fix the dependency, or drop a jar "
            "with deps_exclude), or list a jar in dupeclassescheck_ignorelist if the difference is intended")


def read_ignorelist(path: str) -> frozenset[str]:
    """Jar file names, one a line; `#` starts a comment; a directory part is ignored (as in
    rules_spring, whose ignorelist files this reads)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read dupeclassescheck_ignorelist {path}: {e}") from None
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(os.path.basename(line))
    return frozenset(names)


def find_banned(lib_names: Iterable[str], banned: Sequence[str]) -> list[tuple[str, str]]:
    """(jar name, banned word) for each jar whose name contains a banned word (any case)."""
    hits = []
    for name in lib_names:
        for word in banned:
            if word and word.lower() in name.lower():
                hits.append((name, word))
                break
    return hits


def banned_message(target: str, hits: Sequence[tuple[str, str]], paths: dict[str, str]) -> str:
    name, word = hits[0]
    more = f" (and {len(hits) - 1} more: {', '.join(n for n, _ in hits[1:4])}{', ...' if len(hits) > 4 else ''})" \
        if len(hits) > 1 else ""
    return (f"{target}: BOOT-INF/lib/{name} ({paths[name]}) is a test library (its name matches deps_banned "
            f"entry {word!r}) in the runtime closure{more}; move it to the tests' deps, drop it with "
            "deps_exclude, or change deps_banned")
