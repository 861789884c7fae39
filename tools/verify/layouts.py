"""The local-layout half of verification: each service's image, as found in a directory of OCI
layouts (pulled with skopeo, say), against the release manifest: MATCH or MISMATCH, and for a
mismatch what differs, against a local build when one is given (deep: into jars, wheels, ELF
files), else against the committed description (e2e/expected/<service>.jsonl).

The images come from an ImageSource: `LayoutDirectory` here, `registry.RegistrySource` for the
images a registry serves; both go through the same loop.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from typing import Callable, Protocol

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
    """`DIR/<service>` or `DIR/<service>_image`: OCI layouts, one per service; also found up to
    three directories down (`bazel-bin/shuffler/services` holds `collector/collector_image`)."""

    root: str

    def name(self) -> str:
        return self.root

    def layout(self, service: str) -> str | None:
        for depth in range(4):
            for candidate in (service, service + "_image"):
                pattern = os.path.join(glob.escape(self.root), *["*"] * depth, candidate, oci.INDEX_FILE)
                found = sorted(glob.glob(pattern))
                if found:
                    return os.path.dirname(found[0])
        return None

    def manifest_digest(self, service: str) -> str | None:
        path = self.layout(service)
        if path is None:
            return None
        return oci.resolve_image(oci.Layout.open(path, f"{service} image")).manifest_descriptor.digest


# (service, digest) -> (verified, a note for its line): the evidence attached to a matching image.
EvidenceCheck = Callable[[str, str], tuple[bool, str]]


def verify(reference: Reference, source: ImageSource, built: LayoutDirectory | None,
           evidence: EvidenceCheck | None = None) -> tuple[list[str], bool]:
    """(lines, all matched): one MATCH/MISMATCH/MISSING line per service, explanations indented.
    With `evidence`, a matching image is a MATCH only if its evidence verifies too."""
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
            if evidence is None:
                lines.append(f"MATCH {service} {found}")
                continue
            verified, note = evidence(service, found)
            if verified:
                lines.append(f"MATCH {service} {found} ({note})")
                continue
            ok = False
            lines.append(f"MISMATCH {service}: {found} is the expected digest, but its provenance fails: {note}")
            continue
        ok = False
        lines.append(f"MISMATCH {service}: {found} in {source.name()}, expected {expected} ({reference.path})")
        lines.extend("    " + line for line in _explanation(reference, service, source, built))
    return lines, ok


def _explanation(reference: Reference, service: str, source: ImageSource, built: LayoutDirectory | None) -> list[str]:
    local = built.layout(service) if built else None
    try:
        if local is not None and built is not None:
            local_digest = built.manifest_digest(service)
            if local_digest == source.manifest_digest(service):
                # Nothing to explain in the image: the reference value is what is wrong.
                return [f"the image is exactly what the local build ({local}) makes, {local_digest}; the expected "
                        f"digest {reference.digests[service]} in {reference.path} is not: that entry is wrong or stale"]
        found = source.layout(service)
        if found is None:
            return ["(no local copy of it to explain the difference with)"]
        if local is not None:
            return explain.explain(local, found).render().splitlines()
        path = os.path.join(reference.descriptions_dir, service + ".jsonl")
        if os.path.isfile(path):
            return description.explain_against(path, found).render().splitlines()
    except UserError as e:
        return [f"(cannot explain it: {e})"]
    return ["(no local build (--built) and no committed description to explain it against)"]
