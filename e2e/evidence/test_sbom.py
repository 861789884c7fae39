"""Each service image's SBOM against the image itself, unpacked: every dpkg status record, every
Debian package of a deb tree, every jar in BOOT-INF/lib (with its sha256), every wheel's
.dist-info and every native library next to a service jar is in the SBOM, with nothing extra,
and each is in the layer the SBOM says. Also: the SBOM is well-formed SPDX 2.3."""

from __future__ import annotations

import os

import pytest

from e2e.evidence import sbom_facts
from tools.testing import oci_tools, service_image

IMAGES = dict(item.split("=", 1) for item in os.environ["REPRO_IMAGES"].split(";"))
SBOMS = dict(item.split("=", 1) for item in os.environ["REPRO_SBOMS"].split(";"))


@pytest.fixture(scope="module", params=sorted(IMAGES))
def service(request, tmp_path_factory):
    name = request.param
    rootfs, _ = service_image.unpack(IMAGES[name], str(tmp_path_factory.mktemp(name) / "bundle"))
    return name, rootfs, sbom_facts.load(SBOMS[name])


def test_nothing_missing_nothing_extra(service):
    name, rootfs, sbom = service
    listed, listed_sums, _ = sbom_facts.sbom_facts(sbom)
    found, found_sums = sbom_facts.rootfs_facts(rootfs)
    listed = sbom_facts.tree_view(listed)
    assert sorted(found - listed) == [], f"{name}: in the image but not in its SBOM"
    assert sorted(listed - found) == [], f"{name}: in the SBOM but not in the image"
    assert {f for f in found if f[0] == "deb"}, f"{name}: no dpkg record found at all"
    for fact, digest in found_sums.items():
        assert listed_sums.get(fact) == digest, f"{name}: {fact} has another sha256 in the SBOM"


def test_each_component_is_in_the_layer_the_sbom_says(service):
    name, _, sbom = service
    blobs = oci_tools.layout_layers(IMAGES[name])
    paths = [set(p.rstrip("/") for p in oci_tools.layer_paths(blob)) for blob in blobs]
    checked = 0
    for package in sbom["packages"]:
        where = next((r["referenceLocator"] for r in package.get("externalRefs", [])
                      if r["referenceType"] == "reproimage-image-path"), None)
        if where is None:
            continue
        layer = sbom_facts.sbom_facts(sbom)[2][package["SPDXID"]]
        path = where.lstrip("/").split("!/")[0]
        assert path in paths[layer], f"{name}: {package['name']} is said to be in layer {layer} at {where}"
        assert not any(path in other for i, other in enumerate(paths) if i != layer and not path.startswith("var/")), \
            f"{name}: {where} is in another layer too"
        checked += 1
    assert checked > 10


def test_well_formed_spdx(service):
    name, _, sbom = service
    assert sbom["spdxVersion"] == "SPDX-2.3" and sbom["dataLicense"] == "CC0-1.0"
    assert sbom["SPDXID"] == "SPDXRef-DOCUMENT" and sbom["documentNamespace"].startswith("https://")
    assert sbom["creationInfo"]["created"] == "1970-01-01T00:00:00Z"
    ids = [p["SPDXID"] for p in sbom["packages"]]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    for package in sbom["packages"]:
        assert package["name"] and package["downloadLocation"]
        assert all(c == "-" or c == "." or c.isalnum() for c in package["SPDXID"][len("SPDXRef-"):])
    known = set(ids) | {"SPDXRef-DOCUMENT"}
    for r in sbom["relationships"]:
        assert r["spdxElementId"] in known and r["relatedSpdxElement"] in known, r
    contained = {r["relatedSpdxElement"] for r in sbom["relationships"]}
    assert set(ids) <= contained, f"{name}: packages no relationship reaches"
