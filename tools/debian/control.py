"""Debian control data: deb822 paragraphs, relation fields and versions.

Thin, strict wrappers around debian-inspector: paragraphs come from
`debian_inspector.deb822`, relation fields (Depends, Pre-Depends, Provides)
from `debian_inspector.deps`, versions compare with
`debian_inspector.version.Version`. Everything that debian-inspector accepts
leniently but Debian does not is turned into a UserError here.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from debian_inspector import deb822, deps
from debian_inspector.version import Version, compare_versions

from tools.common.errors import UserError

OPERATORS = ("<<", "<=", "=", ">=", ">>")
# "<" and ">" are obsolete spellings of "<=" and ">=" (Debian policy 7.1).
_OBSOLETE_OPERATORS = {"<": "<=", ">": ">="}
_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
_VERSION_CHARS = re.compile(r"^[0-9A-Za-z.+~:-]+$")


def parse_paragraphs(text: str, *, source: str) -> list[dict[str, str]]:
    """Splits deb822 text into paragraphs of {lower-case field name: value}.

    Multi-line values keep their continuation lines joined with "\\n".
    """
    paragraphs = []
    try:
        groups = list(deb822.get_paragraphs_as_field_groups(text))
    except Exception as e:  # debian-inspector raises bare Exceptions on malformed input
        raise UserError(f"{source}: malformed deb822 data: {e}") from None
    for group in groups:
        fields: dict[str, str] = {}
        for field in group:
            if field.name == "unknown":
                raise UserError(f"{source}: malformed line {field.lines[0].number}: {field.lines[0].value!r}")
            if field.name in fields:
                raise UserError(f"{source}: field {field.name!r} appears twice in one paragraph (line {field.start_line})")
            fields[field.name] = field.text
        paragraphs.append(fields)
    return paragraphs


@functools.lru_cache(maxsize=None)
def parse_version(text: str) -> Version:
    """A debian_inspector Version; also accepts the few real versions its regex rejects.

    debian-inspector refuses e.g. "12.2.0-14+deb12u1+" (a trailing "+"), which
    dpkg accepts and which is in bookworm (gcc-bpf); those are split by hand
    following deb-version(7) and compare with the same algorithm.
    """
    text = text.strip()
    try:
        return Version.from_string(text)
    except ValueError:
        pass
    epoch_text, _, rest = text.partition(":") if ":" in text else ("0", "", text)
    if not epoch_text.isdigit() or not rest[:1].isdigit() or not _VERSION_CHARS.match(rest):
        raise UserError(f"invalid Debian version {text!r}")
    epoch = int(epoch_text)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
    return Version(epoch=epoch, upstream=upstream, revision=revision or "0")


def version_key(text: str):
    """A sort key ordering version strings the way dpkg does."""
    return functools.cmp_to_key(compare_versions)(parse_version(text))


def version_satisfies(version: str, operator: str, bound: str) -> bool:
    c = compare_versions(parse_version(version), parse_version(bound))
    return {"<<": c < 0, "<=": c <= 0, "=": c == 0, ">=": c >= 0, ">>": c > 0}[operator]


@dataclasses.dataclass(frozen=True, order=True)
class Atom:
    """One package reference in a relation field: `name[:arch] [(op version)]`."""

    name: str
    arch: str | None = None  # None, "any", "native" or an architecture name
    operator: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        s = self.name + (f":{self.arch}" if self.arch else "")
        if self.operator:
            s += f" ({self.operator} {self.version})"
        return s

    def version_ok(self, version: str) -> bool:
        return self.operator is None or version_satisfies(version, self.operator, self.version or "")


Relation = tuple[Atom, ...]  # alternatives: `a | b | c`


def _atom(rel, source: str) -> Atom:
    name = rel.name
    arch = None
    if ":" in name:
        name, arch = name.split(":", 1)
    if not _PACKAGE_NAME.match(name) or (arch is not None and not re.match(r"^[a-z0-9-]+$", arch)):
        raise UserError(f"{source}: invalid package reference {rel.name!r}")
    if getattr(rel, "architectures", ()):
        # Architecture restrictions "[amd64]" belong to source packages; a
        # binary relation carrying one is malformed.
        raise UserError(f"{source}: architecture restriction in binary relation {str(rel)!r}")
    operator = getattr(rel, "operator", None)
    version = getattr(rel, "version", None)
    if operator is not None:
        operator = _OBSOLETE_OPERATORS.get(operator, operator)
        if operator not in OPERATORS:
            raise UserError(f"{source}: unknown version operator {operator!r} in {str(rel)!r}")
        parse_version(version)
    return Atom(name=name, arch=arch, operator=operator, version=version)


def parse_relations(text: str | None, *, source: str) -> tuple[Relation, ...]:
    """Parses a Depends-style field into relations, each a tuple of alternatives."""
    if not text or not text.strip():
        return ()
    flat = " ".join(text.split())
    relations = []
    for part in flat.split(","):
        if not part.strip():
            continue
        try:
            parsed = deps.parse_alternatives(part.strip())
        except (AttributeError, ValueError) as e:
            raise UserError(f"{source}: cannot parse relation {part.strip()!r}: {e}") from None
        alternatives = parsed.relationships if isinstance(parsed, deps.OrRelationships) else (parsed,)
        relations.append(tuple(_atom(r, source) for r in alternatives))
    return tuple(relations)
