"""Pulls an image from a registry into an OCI image layout: the manifest byte for byte (so the
layout's digest is the registry's), its config and layers streamed to disk and checked against
their digests; an image index with its child manifests. The layout appears whole or not at all."""

from __future__ import annotations

import json
import os
from typing import Any, Callable

from tools.common import atomic, canonical_json, oci
from tools.registry.client import RegistryClient
from tools.registry.errors import RegistryError


def _write_blob(root: str, digest: str, data: bytes) -> None:
    with open(os.path.join(root, "blobs", "sha256", digest.split(":", 1)[1]), "wb") as f:
        f.write(data)


def _pull_manifest(client: RegistryClient, reference: str, root: str, log: Callable[[str], None],
                   depth: int = 0) -> tuple[str, str, int]:
    manifest = client.get_manifest(reference)
    if manifest is None:
        raise RegistryError(f"{client.repository} has no manifest {reference}")
    _write_blob(root, manifest.digest, manifest.data)
    try:
        body: Any = json.loads(manifest.data)
    except ValueError:
        raise RegistryError(f"manifest {client.repository}@{manifest.digest} is not JSON") from None
    where = f"manifest {client.repository}@{manifest.digest}"
    if not isinstance(body, dict):
        raise RegistryError(f"{where} is not a JSON object")
    if oci.is_index(body, manifest.media_type):
        if depth >= 2:
            raise RegistryError(f"{where}: image indexes nested too deep")
        for child in oci.parse_descriptors(body.get("manifests"), where + " manifests"):
            _pull_manifest(client, child.digest, root, log, depth + 1)
    else:
        config, layers = oci.manifest_parts(body, where)
        for blob in [config, *layers]:
            if blob.urls:
                continue  # foreign layers live at their URLs, not in the registry
            path = os.path.join(root, "blobs", "sha256", blob.digest.split(":", 1)[1])
            if not os.path.exists(path):
                log(f"pulling {blob.digest} ({blob.size} bytes)")
                client.fetch_blob(blob.digest, path, blob.size)
    return manifest.digest, manifest.media_type, len(manifest.data)


def pull_to_layout(client: RegistryClient, reference: str, dest: str,
                   log: Callable[[str], None] = lambda message: None) -> str:
    """Pulls `reference` (tag or digest) of the client's repository into the layout `dest`;
    returns the manifest's digest."""
    client.ping()
    with atomic.atomic_directory_output(dest) as root:
        os.makedirs(os.path.join(root, "blobs", "sha256"))
        digest, media_type, size = _pull_manifest(client, reference, root, log)
        with open(os.path.join(root, oci.OCI_LAYOUT_FILE), "wb") as f:
            f.write(canonical_json.dumps({"imageLayoutVersion": oci.LAYOUT_VERSION}))
        with open(os.path.join(root, oci.INDEX_FILE), "wb") as f:
            f.write(canonical_json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_INDEX, "manifests": [
                {"mediaType": media_type, "digest": digest, "size": size}]}))
    return digest
