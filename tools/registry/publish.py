"""Pushes a read OCI layout: missing blobs, manifests by digest, then tags."""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

from tools.common.units import human_size
from tools.registry.client import RegistryClient
from tools.registry.layout import PushPlan


@dataclasses.dataclass(frozen=True)
class PublishResult:
    reference: str  # HOST/PATH@sha256:<hex>
    digest: str
    uploaded: int
    uploaded_bytes: int
    skipped: int  # already in the registry
    foreign: int  # non-distributable layers, not in the layout


def publish(plan: PushPlan, client: RegistryClient, tags: Sequence[str], log: Callable[[str], None]) -> PublishResult:
    client.ping()
    uploaded = skipped = foreign = uploaded_bytes = 0
    for blob in plan.blobs:
        if blob.path is None:
            foreign += 1
            continue
        if client.blob_exists(blob.digest):
            skipped += 1
            continue
        log(f"uploading {blob.digest} ({human_size(blob.size)})")
        client.upload_blob(blob.digest, blob.path, blob.size)
        uploaded += 1
        uploaded_bytes += blob.size
    log(f"blobs: {uploaded} uploaded ({human_size(uploaded_bytes)}), {skipped} already present"
        + (f", {foreign} foreign not pushed" if foreign else ""))
    digest = ""
    for manifest in plan.manifests:
        digest = client.put_manifest(manifest.digest, manifest.data, manifest.media_type)
    root = plan.root
    for tag in tags:
        client.put_manifest(tag, root.data, root.media_type)
        log(f"tagged {client.repository}:{tag}")
    return PublishResult(f"{client.repository}@{digest}", digest, uploaded, uploaded_bytes, skipped, foreign)
