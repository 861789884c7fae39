"""The local-layout half of verification: each service's image, as found in a directory of OCI
layouts (pulled with skopeo, say), against the release manifest: MATCH or MISMATCH, and for a
mismatch what differs, against a local build when one is given (deep: into jars, wheels, ELF
files), else against the committed description (e2e/expected/<service>.jsonl).

The images come from an ImageSource: `LayoutDirectory` here; the registry half will add one that
fetches each service's manifest from a registry (tools/verify/registry.py) and use the same loop.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Protocol

from tools.common import oci
from tools.common.errors import UserError
from tools.image import description, explain
from tools.verify.reference import Reference


class ImageSource(Protocol):
    def name(self) -> str: ...

    def manifest_digest(self, service: str) -> str | None:
        """The digest of the service's image there, or None if it has none."""

    def layout(self, service: str) -> str | None:
        """A local OCI layout of it, to explain a mismatch with, if there is one."""


@dataclasses.dataclass(frozen=True)
class LayoutDirectory:
    """`DIR/<service>` or `DIR/<service>_image`: OCI layouts, one per service."""

    root: str

    def name(self) -> str:
        return self.root

    def layout(self, service: str) -> str | None:
        for candidate in (service, service + "_image"):
            path = os.path.join(self.root, candidate)
            if os.path.isdir(path):
                return path
        return None

    def manifest_digest(self, service: str) -> str | None:
        path = self.layout(service)
        if path is None:
            return None
        return oci.resolve_image(oci.Layout.open(path, f"{service} image")).manifest_descriptor.digest


def verify(reference: Reference, source: ImageSource, built: LayoutDirectory | None) -> tuple[list[str], bool]:
    """(lines, all matched): one MATCH/MISMATCH/MISSING line per service, explanations indented."""
    lines = []
    ok = True
    for service in sorted(reference.digests):
        expected = reference.digests[service]
        found = source.manifest_digest(service)
        if found is None:
            ok = False
            lines.append(f"MISSING {service}: no image in {source.name()}")
            continue
        if found == expected:
            lines.append(f"MATCH {service} {found}")
            continue
        ok = False
        lines.append(f"MISMATCH {service}: {found} in {source.name()}, expected {expected} ({reference.path})")
        lines.extend("    " + line for line in _explanation(reference, service, source, built))
    return lines, ok


def _explanation(reference: Reference, service: str, source: ImageSource, built: LayoutDirectory | None) -> list[str]:
    found = source.layout(service)
    if found is None:
        return ["(no local copy of it to explain the difference with)"]
    local = built.layout(service) if built else None
    try:
        if local is not None:
            return explain.explain(local, found).render().splitlines()
        path = os.path.join(reference.descriptions_dir, service + ".jsonl")
        if os.path.isfile(path):
            return description.explain_against(path, found).render().splitlines()
    except UserError as e:
        return [f"(cannot explain it: {e})"]
    return ["(no local build (--built) and no committed description to explain it against)"]
