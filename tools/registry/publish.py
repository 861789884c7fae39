"""Pushes a read OCI layout: missing blobs (mounted from another repository of the registry when
one is known to hold them), manifests by digest, then tags."""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

from tools.common.units import human_size
from tools.registry.client import RegistryClient
from tools.registry.errors import AuthError
from tools.registry.layout import Blob, PushPlan
from tools.registry.reference import Repository


@dataclasses.dataclass(frozen=True)
class PublishResult:
    reference: str  # HOST/PATH@sha256:<hex>
    digest: str
    uploaded: int
    uploaded_bytes: int
    skipped: int  # already in the registry
    foreign: int  # non-distributable layers, not in the layout
    mounted: int = 0  # stored by the registry from another of its repositories, no bytes sent
    mounted_bytes: int = 0


class BlobLocations:
    """Which repositories of a registry hold which blobs, as far as this invocation has seen:
    every blob it found present or stored. An image pushed later to another repository of the
    same registry mounts those blobs instead of uploading them again."""

    def __init__(self) -> None:
        self._paths: dict[tuple[str, str], list[str]] = {}

    def add(self, repository: Repository, digest: str) -> None:
        paths = self._paths.setdefault((repository.registry, digest), [])
        if repository.path not in paths:
            paths.append(repository.path)

    def elsewhere(self, repository: Repository, digest: str) -> list[str]:
        """Other repositories (paths) of `repository`'s registry known to hold `digest`, oldest first."""
        return [p for p in self._paths.get((repository.registry, digest), []) if p != repository.path]

    def repositories(self, registry: str) -> list[str]:
        """Every repository path of `registry` seen so far, in the order they were first seen."""
        seen: dict[str, None] = {}
        for (host, _), paths in self._paths.items():
            if host == registry:
                seen.update(dict.fromkeys(paths))
        return list(seen)


def _mount_source(blob: Blob, client: RegistryClient, locations: BlobLocations, mount_from: Sequence[str],
                  refused: set[str], log: Callable[[str], None]) -> str | None:
    """A repository of the same registry that holds `blob`: one this invocation saw it in, else
    the first of `mount_from` that answers HEAD with 200 (one that refuses us is not asked again)."""
    known = locations.elsewhere(client.repository, blob.digest)
    if known:
        return known[0]
    for path in mount_from:
        if path == client.repository.path or path in refused:
            continue
        try:
            if client.blob_exists(blob.digest, path):
                return path
        except AuthError as e:
            refused.add(path)
            log(f"not mounting from {path}: {e}")
    return None


def publish(plan: PushPlan, client: RegistryClient, tags: Sequence[str], log: Callable[[str], None],
            locations: BlobLocations | None = None, mount_from: Sequence[str] = ()) -> PublishResult:
    """Pushes `plan` through `client`. `locations` is shared by the images of one invocation and
    learns from this push; `mount_from` names further repository paths (same registry) to look
    for missing blobs in."""
    locations = locations if locations is not None else BlobLocations()
    client.ping()
    uploaded = skipped = foreign = uploaded_bytes = mounted = mounted_bytes = 0
    refused: set[str] = set()
    for blob in plan.blobs:
        if blob.path is None:
            foreign += 1
            continue
        if client.blob_exists(blob.digest):
            skipped += 1
            locations.add(client.repository, blob.digest)
            continue
        source = _mount_source(blob, client, locations, mount_from, refused, log)
        if source is not None:
            log(f"mounting {blob.digest} ({human_size(blob.size)}) from {source}")
        else:
            log(f"uploading {blob.digest} ({human_size(blob.size)})")
        if client.upload_blob(blob.digest, blob.path, blob.size, mount_from=source):
            if source is None:
                skipped += 1  # the registry found it by itself when the upload began
            else:
                mounted += 1
                mounted_bytes += blob.size
        else:
            uploaded += 1
            uploaded_bytes += blob.size
        locations.add(client.repository, blob.digest)
    log(f"blobs: {uploaded} uploaded ({human_size(uploaded_bytes)}), {skipped} already present, "
        f"{mounted} mounted from other repositories ({human_size(mounted_bytes)})"
        + (f", {foreign} foreign not pushed" if foreign else ""))
    digest = ""
    for manifest in plan.manifests:
        digest = client.put_manifest(manifest.digest, manifest.data, manifest.media_type)
    root = plan.root
    for tag in tags:
        client.put_manifest(tag, root.data, root.media_type)
        log(f"tagged {client.repository}:{tag}")
    return PublishResult(f"{client.repository}@{digest}", digest, uploaded, uploaded_bytes, skipped, foreign,
                         mounted, mounted_bytes)
