"""Maven coordinates: artifact types, the keys Maven compares artifacts by, repository paths.

Two keys matter and they differ on purpose, as in Maven 3:

- the *management key* `group:artifact:type[:classifier]` matches `<dependencyManagement>`
  entries to dependencies inside one POM (the model builder works with types);
- the *artifact key* `(group, artifact, extension, classifier)` is what the resolver compares:
  conflict mediation, dependency management of transitive dependencies, cycles. A `test-jar`
  dependency and a `jar` dependency with classifier `tests` have the same artifact key.

`ArtifactKey.lock_key` is the artifact key as it appears in a lock: `group:artifact` for a plain
jar, `group:artifact:extension[:classifier]` otherwise (Maven's own coordinate order).
"""

from __future__ import annotations

import dataclasses
import re

# Maven 3's artifact types (MavenRepositorySystemUtils): type -> (extension, classifier,
# whether the artifact bundles its dependencies, so they are not resolved). Any other type
# is its own extension, without classifier.
_TYPES: dict[str, tuple[str, str, bool]] = {
    "pom": ("pom", "", False),
    "jar": ("jar", "", False),
    "maven-plugin": ("jar", "", False),
    "ejb": ("jar", "", False),
    "ejb-client": ("jar", "client", False),
    "test-jar": ("jar", "tests", False),
    "javadoc": ("jar", "javadoc", False),
    "java-source": ("jar", "sources", False),
    "war": ("war", "", True),
    "ear": ("ear", "", True),
    "rar": ("rar", "", True),
    "par": ("par", "", True),
}

# Group and artifact ids Maven accepts ([A-Za-z0-9_\-.]+), and what a version or classifier
# may hold so that it can never walk out of a repository path.
_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9_.+-]+$")


def type_extension(type_: str) -> str:
    return _TYPES.get(type_, (type_, "", False))[0]


def type_classifier(type_: str) -> str:
    return _TYPES.get(type_, (type_, "", False))[1]


def type_includes_dependencies(type_: str) -> bool:
    return _TYPES.get(type_, (type_, "", False))[2]


def valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value)) and value not in (".", "..")


def valid_version(value: str) -> bool:
    return bool(_VERSION_RE.match(value)) and value not in (".", "..")


@dataclasses.dataclass(frozen=True, order=True)
class ArtifactKey:
    """An artifact without its version: what Maven mediates conflicts over."""

    group: str
    artifact: str
    extension: str = "jar"
    classifier: str = ""

    @property
    def lock_key(self) -> str:
        if self.extension == "jar" and not self.classifier:
            return f"{self.group}:{self.artifact}"
        if not self.classifier:
            return f"{self.group}:{self.artifact}:{self.extension}"
        return f"{self.group}:{self.artifact}:{self.extension}:{self.classifier}"

    def __str__(self) -> str:
        return self.lock_key


@dataclasses.dataclass(frozen=True, order=True)
class Artifact:
    key: ArtifactKey
    version: str

    @property
    def group(self) -> str:
        return self.key.group

    @property
    def artifact(self) -> str:
        return self.key.artifact

    @property
    def file_name(self) -> str:
        classifier = f"-{self.key.classifier}" if self.key.classifier else ""
        return f"{self.key.artifact}-{self.version}{classifier}.{self.key.extension}"

    @property
    def path(self) -> str:
        """The file's path below a repository's base URL (Maven 2 layout)."""
        return f"{self.key.group.replace('.', '/')}/{self.key.artifact}/{self.version}/{self.file_name}"

    @property
    def pom(self) -> "Artifact":
        return Artifact(ArtifactKey(self.key.group, self.key.artifact, "pom", ""), self.version)

    def __str__(self) -> str:
        """Maven's `group:artifact[:extension[:classifier]]:version`."""
        return f"{self.key.lock_key}:{self.version}"


def gav(group: str, artifact: str, version: str) -> str:
    return f"{group}:{artifact}:{version}"


def artifact_of(group: str, artifact: str, version: str, type_: str = "jar", classifier: str = "") -> Artifact:
    """The artifact a dependency of `type_` names: test-jar -> jar with classifier tests, etc."""
    return Artifact(ArtifactKey(group, artifact, type_extension(type_), classifier or type_classifier(type_)), version)


def management_key(group: str, artifact: str, type_: str, classifier: str) -> str:
    return f"{group}:{artifact}:{type_}" + (f":{classifier}" if classifier else "")


def exclusion_matches(exclusion: tuple[str, str], key: ArtifactKey) -> bool:
    """POM exclusions name group and artifact; either may be `*`. Extension and classifier are always
    wildcards, as Maven 3 converts them."""
    group, artifact = exclusion
    return (group == "*" or group == key.group) and (artifact == "*" or artifact == key.artifact)
