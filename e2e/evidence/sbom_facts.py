"""What an SBOM says an image holds, and what the image's unpacked root file system shows, in
the same terms, so a test can compare them: dpkg records, deb trees, Boot-INF jars, wheels,
native libraries, each as a set of (kind, where, name, version) plus, where the bytes are at
hand, their sha256."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
import zipfile
from typing import Any

from tools.evidence.locks import normalize_pypi
from tools.evidence.wheels import metadata_fields

STATUS_DIR = "var/lib/dpkg/status.d"


def _ref(package: dict[str, Any], kind: str) -> str | None:
    for ref in package.get("externalRefs", []):
        if ref["referenceType"] == kind:
            return ref["referenceLocator"]
    return None


def sbom_facts(sbom: dict[str, Any]) -> tuple[set[tuple], dict[tuple, str], dict[str, int]]:
    """(facts, {fact: sha256}, {SPDXID: layer index}) of an SBOM."""
    layer_of: dict[str, int] = {}
    parents = {r["relatedSpdxElement"]: r["spdxElementId"] for r in sbom["relationships"]
               if r["relationshipType"] == "CONTAINS"}
    for spdx_id in parents:
        node = spdx_id
        while node in parents and not node.startswith("SPDXRef-Layer-"):
            node = parents[node]
        if node.startswith("SPDXRef-Layer-"):
            layer_of[spdx_id] = int(node.rsplit("-", 1)[1])
    facts = set()
    sums = {}
    for p in sbom["packages"]:
        purl = _ref(p, "purl") or ""
        path = (_ref(p, "reproimage-image-path") or "").lstrip("/")
        fact = None
        if purl.startswith("pkg:deb/"):
            name_version, _, query = purl[len("pkg:deb/debian/"):].partition("?")
            arch = urllib.parse.parse_qs(query)["arch"][0]
            where = "dpkg" if path.startswith(STATUS_DIR + "/") else path
            fact = ("deb", where, p["name"], p["versionInfo"], arch)
        elif purl.startswith("pkg:maven/") or p["SPDXID"].startswith("SPDXRef-jar-"):
            fact = ("lib", path)
        elif purl.startswith("pkg:pypi/"):
            fact = ("wheel", path, normalize_pypi(p["name"]), p["versionInfo"])
        elif p["SPDXID"].startswith("SPDXRef-native-"):
            fact = ("native", path)
        if fact is not None:
            facts.add(fact)
            if p.get("checksums") and fact[0] in ("lib", "native"):
                sums[fact] = p["checksums"][0]["checksumValue"]
    return facts, sums, layer_of


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rootfs_facts(rootfs: str) -> tuple[set[tuple], dict[tuple, str]]:
    """The same facts, read from an unpacked image."""
    facts = set()
    sums = {}
    status = os.path.join(rootfs, STATUS_DIR)
    for name in sorted(os.listdir(status)) if os.path.isdir(status) else []:
        if name.endswith(".md5sums"):  # distroless' layout: the file list beside the record
            continue
        fields = {}
        with open(os.path.join(status, name), encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and not line[:1].isspace():
                    fields[key.strip().lower()] = value.strip()
        facts.add(("deb", "dpkg", fields["package"], fields["version"], fields["architecture"]))
    for dirpath, dirnames, filenames in os.walk(rootfs):
        rel = os.path.relpath(dirpath, rootfs)
        if rel.endswith("usr/share/doc") and rel != "usr/share/doc":
            # A tree of Debian packages outside dpkg (an interpreter in a runfiles tree): every
            # package installs its /usr/share/doc/<package>.
            tree = rel[: -len("/usr/share/doc")]
            for package in sorted(os.listdir(dirpath)):
                facts.add(("deb-tree", tree, package))
        for name in filenames:
            path = os.path.join(dirpath, name)
            relpath = os.path.normpath(os.path.join(rel, name))
            if name.endswith(".jar") and not os.path.islink(path) and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    for member in z.namelist():
                        if member.startswith("BOOT-INF/lib/") and member.endswith(".jar"):
                            fact = ("lib", f"{relpath}!/{member}")
                            facts.add(fact)
                            sums[fact] = _sha256(z.read(member))
                if any(m.startswith("BOOT-INF/lib/") for m in zipfile.ZipFile(path).namelist()):
                    for sibling in sorted(os.listdir(dirpath)):
                        sibling_path = os.path.join(dirpath, sibling)
                        if rel != "." and os.path.isfile(sibling_path) and _is_elf(sibling_path):
                            fact = ("native", os.path.normpath(os.path.join(rel, sibling)))
                            facts.add(fact)
                            with open(sibling_path, "rb") as f:
                                sums[fact] = _sha256(f.read())
        if rel.endswith(".dist-info") and "METADATA" in filenames:
            with open(os.path.join(dirpath, "METADATA"), "rb") as f:
                name, version = metadata_fields(f.read(), os.path.join(rel, "METADATA"))
            facts.add(("wheel", rel, normalize_pypi(name), version))
    return facts, sums


def _is_elf(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def tree_view(facts: set[tuple]) -> set[tuple]:
    """SBOM deb facts of packages outside dpkg, as rootfs_facts sees trees: (deb-tree, root, name)."""
    out = set()
    for fact in facts:
        if fact[0] == "deb" and fact[1] != "dpkg":
            out.add(("deb-tree", fact[1], fact[2]))
        else:
            out.add(fact)
    return out


def load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
