"""OCI 1.1 referrers: evidence (an SBOM, a provenance envelope) pushed as artifacts whose `subject`
is an image manifest, and found again from the image's digest.

An artifact is an image manifest with an `artifactType`, the empty config (`{}`) and one layer,
the evidence file. Its bytes are a function of the subject descriptor and the file alone
(canonical JSON, no time, no host), so the same image and evidence give the same artifact
digest on every build and every push.

Where the registry has the referrers API it indexes the subject itself and says so with the
`OCI-Subject` header on the manifest PUT. Where it does not (Debian's docker-registry, CNCF
distribution 2.x), the referrers tag scheme: the tag `sha256-<hex of the subject>` holds an image
index of the referrers' descriptors, updated read-modify-write (read the index, add the new
descriptor if missing, put it back). Two publishers racing on one subject could lose an entry;
the registry offers no conditional PUT to prevent it, and publishing again restores it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any, Callable, Sequence

from tools.common import canonical_json, oci
from tools.common.digest import sha256_digest
from tools.common.files import read_bytes
from tools.registry.client import OCI_INDEX, Manifest, RegistryClient, referrers_tag
from tools.registry.errors import RegistryError

EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_DATA = b"{}"
TITLE_ANNOTATION = "org.opencontainers.image.title"

SBOM_ARTIFACT_TYPE = "application/spdx+json"
PROVENANCE_ARTIFACT_TYPE = "application/vnd.in-toto+json"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One file to attach: `artifact_type` says what it is, `media_type` how its bytes are encoded."""

    kind: str  # "sbom" or "provenance", for messages
    path: str
    artifact_type: str
    media_type: str
    title: str  # the layer's org.opencontainers.image.title


def sbom(path: str) -> Evidence:
    return Evidence("sbom", path, SBOM_ARTIFACT_TYPE, SBOM_ARTIFACT_TYPE, os.path.basename(path))


def provenance(path: str) -> Evidence:
    return Evidence("provenance", path, PROVENANCE_ARTIFACT_TYPE, DSSE_MEDIA_TYPE, os.path.basename(path))


def _descriptor(media_type: str, data: bytes) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)}


def artifact_manifest(subject: oci.Descriptor, artifact_type: str, media_type: str, data: bytes,
                      title: str) -> bytes:
    """The artifact manifest's bytes: canonical JSON of subject, type and the one layer."""
    layer = _descriptor(media_type, data)
    layer["annotations"] = {TITLE_ANNOTATION: title}
    return canonical_json.dumps({
        "schemaVersion": 2,
        "mediaType": oci.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": _descriptor(EMPTY_MEDIA_TYPE, EMPTY_DATA),
        "layers": [layer],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size},
    })


@dataclasses.dataclass(frozen=True)
class Attached:
    kind: str
    digest: str  # the artifact manifest's
    scheme: str  # "referrers API" or "tag sha256-..."


def _put_blob(client: RegistryClient, data: bytes, scratch: str) -> None:
    digest = sha256_digest(data)
    if client.blob_exists(digest):
        return
    path = os.path.join(scratch, digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    client.upload_blob(digest, path, len(data))


def attach(client: RegistryClient, subject: oci.Descriptor, evidence: Sequence[Evidence],
           log: Callable[[str], None]) -> list[Attached]:
    """Pushes each piece of evidence as an artifact referring to `subject` (already pushed), and
    makes it findable: by the registry's referrers API, else by the referrers tag."""
    attached = []
    tag_entries: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="referrers-") as scratch:
        for item in evidence:
            data = read_bytes(item.path, item.kind, RegistryError)
            _put_blob(client, EMPTY_DATA, scratch)
            _put_blob(client, data, scratch)
            manifest = artifact_manifest(subject, item.artifact_type, item.media_type, data, item.title)
            digest, response = client.push_manifest(sha256_digest(manifest), manifest, oci.OCI_MANIFEST)
            if response.header("OCI-Subject") == subject.digest:
                attached.append(Attached(item.kind, digest, "referrers API"))
            else:
                entry = _descriptor(oci.OCI_MANIFEST, manifest)
                entry["artifactType"] = item.artifact_type
                tag_entries.append(entry)
                attached.append(Attached(item.kind, digest, "tag " + referrers_tag(subject.digest)))
    if tag_entries:
        _update_referrers_tag(client, subject.digest, tag_entries)
    for a in attached:
        log(f"attached the {a.kind} of {subject.digest} as {client.repository}@{a.digest} (found by the {a.scheme})")
    return attached


def _update_referrers_tag(client: RegistryClient, subject: str, entries: list[dict[str, Any]]) -> None:
    """Read-modify-write of the referrers tag's index: entries already listed stay as they are."""
    _, manifests = client.referrers_tag(subject)
    listed = {m["digest"] for m in manifests}
    added = [e for e in entries if e["digest"] not in listed]
    if not added:
        return
    index = canonical_json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests + added})
    client.put_manifest(referrers_tag(subject), index, OCI_INDEX)


@dataclasses.dataclass(frozen=True)
class Referrer:
    digest: str
    artifact_type: str | None
    scheme: str


def list_referrers(client: RegistryClient, subject: str, artifact_type: str | None = None) -> list[Referrer]:
    """The manifests referring to `subject`: the referrers API's answer where the registry has one,
    else the referrers tag's index; optionally only those of `artifact_type`."""
    found = client.referrers_api(subject)
    scheme = "referrers API"
    if found is None:
        _, found = client.referrers_tag(subject)
        scheme = "tag " + referrers_tag(subject)
    out = []
    for m in found:
        kind = m.get("artifactType") if isinstance(m.get("artifactType"), str) else None
        if artifact_type is None or kind == artifact_type:
            out.append(Referrer(m["digest"], kind, scheme))
    return out


@dataclasses.dataclass(frozen=True)
class Artifact:
    """A referrer pulled: its manifest, and its one layer's bytes (checked against the digest)."""

    manifest: Manifest
    subject: str | None
    artifact_type: str | None
    data: bytes


def fetch_artifact(client: RegistryClient, digest: str, scratch: str, max_size: int = 64 << 20) -> Artifact:
    """The artifact manifest `digest` and the blob of its first layer."""
    manifest = client.get_manifest(digest, (oci.OCI_MANIFEST,))
    if manifest is None:
        raise RegistryError(f"the referrer {digest} is listed but {client.repository} has no such manifest")
    try:
        body = json.loads(manifest.data)
        layer = body["layers"][0]
        layer_digest, size = layer["digest"], int(layer["size"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise RegistryError(f"the referrer {client.repository}@{digest} is not an artifact manifest with a layer") from None
    if size > max_size:
        raise RegistryError(f"the referrer {client.repository}@{digest} holds {size} bytes; refusing more than {max_size}")
    path = os.path.join(scratch, layer_digest.split(":", 1)[-1])
    client.fetch_blob(layer_digest, path, size)
    with open(path, "rb") as f:
        data = f.read()
    subject = body.get("subject", {}).get("digest") if isinstance(body.get("subject"), dict) else None
    kind = body.get("artifactType") if isinstance(body.get("artifactType"), str) else None
    return Artifact(manifest, subject, kind, data)
