"""A POM's raw model: the parts of pom.xml that decide dependency resolution, nothing interpreted.

Reads `<parent>`, the project's coordinates and packaging, `<properties>`, `<dependencies>`,
`<dependencyManagement>`, `<profiles>` (with their activation, properties and dependencies) and
`<distributionManagement><relocation>`. Values are trimmed, as Maven's reader does; `${...}`
expressions are left for the model builder. Plugins, repositories and everything else are ignored:
they do not change which artifacts a dependency brings (repositories named in POMs are not used,
see README.md).
"""

from __future__ import annotations

import dataclasses
import html.entities
import re
import xml.etree.ElementTree as ET

from tools.common.errors import UserError


@dataclasses.dataclass
class Dependency:
    group: str | None
    artifact: str | None
    version: str | None = None
    type: str | None = None
    classifier: str | None = None
    scope: str | None = None
    optional: str | None = None
    system_path: str | None = None
    exclusions: list[tuple[str, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Activation:
    active_by_default: bool = False
    jdk: str | None = None
    os: dict[str, str] | None = None  # name, family, arch, version
    property_: tuple[str, str | None] | None = None
    file: tuple[str, str] | None = None  # ("exists"|"missing", path)

    @property
    def has_conditions(self) -> bool:
        return any(x is not None for x in (self.jdk, self.os, self.property_, self.file))


@dataclasses.dataclass
class Profile:
    id: str
    activation: Activation
    properties: dict[str, str]
    dependencies: list[Dependency]
    managed: list[Dependency]


@dataclasses.dataclass
class Relocation:
    group: str | None
    artifact: str | None
    version: str | None
    message: str | None


@dataclasses.dataclass
class Parent:
    group: str
    artifact: str
    version: str


@dataclasses.dataclass
class RawModel:
    source: str  # where it came from, for messages (a URL)
    group: str | None
    artifact: str | None
    version: str | None
    packaging: str
    parent: Parent | None
    properties: dict[str, str]
    dependencies: list[Dependency]
    managed: list[Dependency]
    profiles: list[Profile]
    relocation: Relocation | None


_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_ENTITY_RE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    if element is None:
        return []
    return [c for c in element if _local(c.tag) == name]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: ET.Element | None, name: str) -> str | None:
    child = _child(element, name)
    if child is None:
        return None
    return (child.text or "").strip()


def _dependency(element: ET.Element) -> Dependency:
    exclusions = []
    for ex in _children(_child(element, "exclusions"), "exclusion"):
        exclusions.append((_text(ex, "groupId") or "", _text(ex, "artifactId") or ""))
    return Dependency(
        group=_text(element, "groupId"),
        artifact=_text(element, "artifactId"),
        version=_text(element, "version"),
        type=_text(element, "type"),
        classifier=_text(element, "classifier"),
        scope=_text(element, "scope"),
        optional=_text(element, "optional"),
        system_path=_text(element, "systemPath"),
        exclusions=exclusions,
    )


def _dependencies(element: ET.Element | None) -> list[Dependency]:
    return [_dependency(d) for d in _children(_child(element, "dependencies"), "dependency")]


def _properties(element: ET.Element | None) -> dict[str, str]:
    properties: dict[str, str] = {}
    holder = _child(element, "properties")
    for p in [] if holder is None else list(holder):
        name = _local(p.tag)
        if name:
            properties[name] = (p.text or "").strip()
    return properties


def _activation(element: ET.Element | None) -> Activation:
    activation = Activation()
    if element is None:
        return activation
    activation.active_by_default = (_text(element, "activeByDefault") or "").lower() == "true"
    activation.jdk = _text(element, "jdk")
    os_element = _child(element, "os")
    if os_element is not None:
        activation.os = {k: v for k in ("name", "family", "arch", "version") if (v := _text(os_element, k))}
    prop = _child(element, "property")
    if prop is not None:
        activation.property_ = (_text(prop, "name") or "", _text(prop, "value"))
    file_element = _child(element, "file")
    if file_element is not None:
        exists, missing = _text(file_element, "exists"), _text(file_element, "missing")
        activation.file = ("missing", missing) if missing else ("exists", exists or "")
    return activation


def _profile(element: ET.Element) -> Profile:
    return Profile(
        id=_text(element, "id") or "default",
        activation=_activation(_child(element, "activation")),
        properties=_properties(element),
        dependencies=_dependencies(element),
        managed=_dependencies(_child(element, "dependencyManagement")),
    )


def _parse_xml(data: bytes, source: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as first:
        # Old POMs use HTML entities (&nbsp;, &oslash;) in free text; Maven's lenient reader
        # accepts them. Replace those, never the five XML ones, and parse again.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")

        def entity(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
                return match.group(0)
            return f"&#{html.entities.name2codepoint[name]};"

        fixed = _ENTITY_RE.sub(entity, text)
        if fixed != text:
            fixed = re.sub(r"^<\?xml[^>]*\?>", "", fixed.lstrip("\ufeff"), count=1)
            try:
                return ET.fromstring(fixed)
            except ET.ParseError:
                pass
        raise UserError(f"{source}: not a readable POM ({first})") from None


def parse_pom(data: bytes, source: str) -> RawModel:
    """Parses POM bytes; `source` (a URL or path) names it in every error."""
    root = _parse_xml(data, source)
    if _local(root.tag) != "project":
        raise UserError(f"{source}: not a POM (root element <{_local(root.tag)}>, expected <project>)")
    parent = None
    parent_element = _child(root, "parent")
    if parent_element is not None:
        group, artifact, version = (_text(parent_element, k) for k in ("groupId", "artifactId", "version"))
        if not group or not artifact or not version:
            raise UserError(f"{source}: <parent> needs groupId, artifactId and version")
        parent = Parent(group, artifact, version)
    relocation = None
    relocation_element = _child(_child(root, "distributionManagement"), "relocation")
    if relocation_element is not None:
        relocation = Relocation(*(_text(relocation_element, k) or None
                                  for k in ("groupId", "artifactId", "version", "message")))
    return RawModel(
        source=source,
        group=_text(root, "groupId") or None,
        artifact=_text(root, "artifactId") or None,
        version=_text(root, "version") or None,
        packaging=_text(root, "packaging") or "jar",
        parent=parent,
        properties=_properties(root),
        dependencies=_dependencies(root),
        managed=_dependencies(_child(root, "dependencyManagement")),
        profiles=[_profile(p) for p in _children(_child(root, "profiles"), "profile")],
        relocation=relocation,
    )
