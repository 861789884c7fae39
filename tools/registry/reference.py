"""Parsing `HOST[:PORT]/PATH` repositories and tags, with Docker Hub's naming quirks."""

from __future__ import annotations

import dataclasses
import ipaddress
import re

from tools.common.errors import UserError

# Docker Hub is named "docker.io" by users, served from registry-1.docker.io, and its
# credentials are stored under this legacy key by `docker login`.
DOCKER_HUB = "docker.io"
DOCKER_HUB_API_HOST = "registry-1.docker.io"
DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

# The distribution spec's grammar for repository path components and tags.
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?")


@dataclasses.dataclass(frozen=True)
class Repository:
    """A repository on a registry, e.g. `127.0.0.1:5000/team/app`."""

    registry: str  # as the user names it: "host[:port]", lower-cased; "docker.io" for Docker Hub
    path: str  # "team/app"; Docker Hub's single-component names get "library/"

    def __str__(self) -> str:
        return f"{self.registry}/{self.path}"

    @property
    def is_docker_hub(self) -> bool:
        return self.registry == DOCKER_HUB

    @property
    def api_host(self) -> str:
        """`host[:port]` that serves the /v2/ API."""
        return DOCKER_HUB_API_HOST if self.is_docker_hub else self.registry

    @property
    def hostname(self) -> str:
        """The API host without port or IPv6 brackets."""
        return split_host_port(self.api_host)[0]


def split_host_port(host_port: str) -> tuple[str, int | None]:
    if host_port.startswith("["):
        end = host_port.index("]")
        rest = host_port[end + 1 :]
        return host_port[1:end], int(rest[1:]) if rest.startswith(":") else None
    if host_port.count(":") == 1:
        host, port = host_port.split(":")
        return host, int(port)
    return host_port, None


def is_loopback(hostname: str) -> bool:
    """True for localhost and loopback IP literals; no DNS lookup (a name could resolve anywhere)."""
    name = hostname.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_repository(text: str, flag: str = "--repository") -> Repository:
    """Parses `HOST[:PORT]/PATH`; the host is mandatory so we never push to an implied registry."""
    original = text
    text = text.strip()
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            raise UserError(
                f"{flag}={original!r}: write the repository without a scheme (HOST[:PORT]/PATH); "
                "use --plain_http for plain-HTTP registries"
            )
    if "@" in text:
        raise UserError(f"{flag}={original!r}: a repository must not contain a digest (@sha256:...)")
    host, sep, path = text.partition("/")
    if not sep or not path:
        raise UserError(f"{flag}={original!r}: expected HOST[:PORT]/PATH, e.g. registry.example.com/team/app")
    if not _looks_like_registry(host):
        raise UserError(
            f"{flag}={original!r}: {host!r} is not a registry host; write the registry explicitly, "
            f"e.g. docker.io/{text} or registry.example.com/{text}"
        )
    if not _HOST.fullmatch(host):
        raise UserError(f"{flag}={original!r}: {host!r} is not a valid HOST[:PORT]")
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        raise UserError(f"{flag}={original!r}: a repository must not contain a tag; pass the tag with --tag")
    for component in path.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            raise UserError(
                f"{flag}={original!r}: path component {component!r} is invalid: use lower-case letters, "
                "digits and single separators (. _ __ -)"
            )
    registry = host.lower()
    if registry in _DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = "library/" + path
    return Repository(registry=registry, path=path)


def _looks_like_registry(host: str) -> bool:
    """Docker's rule: a first component with a dot or a port, or localhost, names a registry."""
    return "." in host or ":" in host or host.startswith("[") or host.lower() == "localhost"


def parse_registry(text: str, flag: str) -> str:
    """A registry `HOST[:PORT]` on its own (no path), lower-cased."""
    host = text.strip()
    if not host or "/" in host or not _HOST.fullmatch(host) or not _looks_like_registry(host):
        raise UserError(f"{flag}={text!r}: expected a registry HOST[:PORT] without a path, e.g. "
                        "registry.example.com or 127.0.0.1:5000")
    return host.lower()


def validate_tag(tag: str) -> str:
    if not _TAG.fullmatch(tag):
        raise UserError(
            f"--tag={tag!r} is not a valid tag: use up to 128 of [A-Za-z0-9_.-], not starting with . or -"
        )
    return tag
