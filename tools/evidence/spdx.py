"""An SPDX 2.3 JSON document of an image, deterministic to the byte.

Every element's SPDX id is derived from what it is and where (never from a counter or a clock),
packages and relationships are sorted, and `created` is SOURCE_DATE_EPOCH when set, else the
epoch (the field is mandatory; no build's own time ever reaches it).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Any, Sequence

from tools.common.errors import UserError
from tools.common import oci
from tools.evidence.components import Component, Inventory
from tools.evidence.contents import Layer

TOOL_NAME = "reproimage-sbom"
NAMESPACE_BASE = "https://reproimage.invalid/spdx"
IMAGE_ID = "SPDXRef-Image"


def created(source_date_epoch: str | None) -> str:
    """RFC 3339 UTC time of SOURCE_DATE_EPOCH, or the epoch when it is unset."""
    seconds = 0
    if source_date_epoch:
        if not source_date_epoch.isdigit():
            raise UserError(f"SOURCE_DATE_EPOCH {source_date_epoch!r} is not a number of seconds since the epoch")
        seconds = int(source_date_epoch)
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _idstring(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")[:80]


def spdx_id(component: Component) -> str:
    """Stable: what the component is plus a hash of where it is."""
    where = hashlib.sha256(component.key.encode("utf-8")).hexdigest()[:12]
    return f"SPDXRef-{component.kind}-{_idstring(component.name)}-{where}"


def layer_id(index: int) -> str:
    return f"SPDXRef-Layer-{index}"


def _package(component: Component) -> dict[str, Any]:
    package: dict[str, Any] = {
        "SPDXID": spdx_id(component),
        "name": component.name,
        "downloadLocation": component.download or "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": component.purpose,
        "externalRefs": [{
            "referenceCategory": "OTHER",
            "referenceType": "reproimage-image-path",
            "referenceLocator": "/" + component.path,
        }],
    }
    if component.version:
        package["versionInfo"] = component.version
    if component.sha256:
        package["checksums"] = [{"algorithm": "SHA256", "checksumValue": component.sha256}]
    if component.purl:
        package["externalRefs"].append({
            "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": component.purl})
    if component.supplier:
        package["supplier"] = component.supplier
    if component.source_info:
        package["sourceInfo"] = component.source_info
    comment = [f"in layer {component.layer}"]
    if component.lock:
        comment.append(f"locked by {component.lock.label} (sha256 {component.lock.sha256})")
    if component.comment:
        comment.append(component.comment)
    package["comment"] = "; ".join(comment)
    return package


def document(name: str, image: oci.Image, layers: Sequence[Layer], inventory: Inventory,
             source_date_epoch: str | None) -> dict[str, Any]:
    manifest_digest = image.manifest_descriptor.digest
    hex_digest = manifest_digest.split(":", 1)[1]
    packages = [{
        "SPDXID": IMAGE_ID,
        "name": name,
        "versionInfo": manifest_digest,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "CONTAINER",
        "checksums": [{"algorithm": "SHA256", "checksumValue": hex_digest}],
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": f"pkg:oci/{name}@sha256%3A{hex_digest}"}],
        "comment": f"OCI image manifest {manifest_digest}, config {image.config_descriptor.digest}",
    }]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": IMAGE_ID}]
    for layer in layers:
        packages.append({
            "SPDXID": layer_id(layer.index),
            "name": f"{name} layer {layer.index}",
            "versionInfo": layer.digest,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "primaryPackagePurpose": "ARCHIVE",
            "checksums": [{"algorithm": "SHA256", "checksumValue": layer.digest.split(":", 1)[1]}],
            "comment": f"layer {layer.index}: blob {layer.digest}, diff_id {layer.diff_id}",
        })
        relationships.append({"spdxElementId": IMAGE_ID, "relationshipType": "CONTAINS",
                              "relatedSpdxElement": layer_id(layer.index)})
    ids = {}
    for component in inventory.components:
        package = _package(component)
        if package["SPDXID"] in ids:
            raise UserError(f"two components at /{component.path} in layer {component.layer}: "
                            f"{ids[package['SPDXID']]} and {component.name}")
        ids[package["SPDXID"]] = component.name
        packages.append(package)
    by_path = {(c.layer, c.path): spdx_id(c) for c in inventory.components if c.kind == "application"}
    for component in inventory.components:
        container = layer_id(component.layer)
        if component.parent is not None:
            container = by_path[(component.layer, component.parent)]
        relationships.append({"spdxElementId": container, "relationshipType": "CONTAINS",
                              "relatedSpdxElement": spdx_id(component)})
    packages.sort(key=lambda p: p["SPDXID"])
    relationships.sort(key=lambda r: (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]))
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{name} {manifest_digest}",
        "documentNamespace": f"{NAMESPACE_BASE}/{_idstring(name)}/{hex_digest}",
        "creationInfo": {"created": created(source_date_epoch), "creators": [f"Tool: {TOOL_NAME}"]},
        "packages": packages,
        "relationships": relationships,
    }
    if inventory.notes:
        doc["comment"] = "Not itemized: " + "; ".join(inventory.notes)
    return doc
