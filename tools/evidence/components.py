"""What an image holds, item by item: the components its SBOM lists, resolved from the layer
contents manifests against the locks, the packages and the jars themselves."""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
import zipfile
from typing import Any, Sequence

from tools.common import canonical_json
from tools.common.errors import UserError
from tools.common.json_file import load_json
from tools.debian import repack
from tools.elf import elf_file
from tools.evidence import locks, wheels
from tools.evidence.contents import Layer

DEB_TREE_FORMAT = "reproimage deb tree packages"
DPKG_STATUS_DIR = "var/lib/dpkg/status.d"


@dataclasses.dataclass
class Component:
    kind: str  # deb, maven, pypi, native, jar, application
    name: str
    version: str | None
    layer: int
    path: str  # where it is in the image ("a.jar!/BOOT-INF/lib/b.jar" inside an archive)
    sha256: str | None = None
    purl: str | None = None
    download: str | None = None
    supplier: str | None = None
    source_info: str | None = None
    comment: str | None = None
    purpose: str = "LIBRARY"
    lock: locks.LockRef | None = None
    parent: str | None = None  # path of the component that contains it

    @property
    def key(self) -> str:
        return f"{self.layer}:{self.path}"


@dataclasses.dataclass
class Inventory:
    components: list[Component]
    notes: list[str]  # what is in the image but not itemized (merged tars, undescribed layers)
    locks: list[locks.LockRef]


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="~.-_+")


def deb_purl(name: str, version: str, architecture: str, distro: str, source: str) -> str:
    qualifiers = [("arch", architecture)]
    if distro:
        qualifiers.append(("distro", distro))
    if source and source != name:
        qualifiers.append(("upstream", source))
    return f"pkg:deb/debian/{_quote(name)}@{_quote(version)}?" + "&".join(f"{k}={_quote(v)}" for k, v in qualifiers)


def maven_purl(entry: dict[str, Any]) -> str:
    purl = f"pkg:maven/{_quote(entry['group'])}/{_quote(entry['artifact'])}@{_quote(entry['version'])}"
    qualifiers = []
    if entry.get("classifier"):
        qualifiers.append(("classifier", entry["classifier"]))
    if entry.get("packaging", "jar") != "jar":
        qualifiers.append(("type", entry["packaging"]))
    return purl + ("?" + "&".join(f"{k}={_quote(v)}" for k, v in qualifiers) if qualifiers else "")


def pypi_purl(name: str, version: str) -> str:
    return f"pkg:pypi/{_quote(locks.normalize_pypi(name))}@{_quote(version)}"


def _snapshot_url(urls: Sequence[str]) -> str | None:
    for url in urls:
        if url.startswith("https://snapshot.debian.org/"):
            return url
    return urls[0] if urls else None


def _lock_ref(locked: dict[str, Any], kind: str) -> locks.LockRef:
    return locks.LockRef(locked["lock_label"], locks.file_sha256(locked["lock"]), kind)


def _source_of(control: str) -> tuple[str | None, str | None]:
    for line in control.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "source" and not line[:1].isspace():
            name, _, version = value.strip().partition(" ")
            return name, version.strip("()") or None
    return None, None


def _deb(item: dict[str, Any], layer: int) -> Component:
    info = repack.read_deb(item["file"], None)
    source, source_version = _source_of(info.control)
    source = source or info.package
    component = Component("deb", info.package, info.version, layer, f"{DPKG_STATUS_DIR}/{info.package}",
                          supplier="Organization: Debian")
    locked = item.get("locked")
    if locked:
        entry = locks.deb_entry(locked["lock"], locked["lock_label"], locked["key"], item["file"])
        if (entry.get("version"), entry.get("architecture")) != (info.version, info.architecture):
            raise UserError(f"{item['file']}: the package is {info.version} ({info.architecture}) but the lock "
                            f"{locked['lock_label']} says {entry.get('version')} ({entry.get('architecture')})")
        component.sha256 = entry["sha256"]
        component.download = _snapshot_url(entry.get("urls", []))
        component.lock = _lock_ref(locked, "deb")
        distro = entry.get("suite", "")
    else:
        component.sha256 = locks.file_sha256(item["file"])
        component.comment = f"from {item.get('label')}, a .deb given as a file (no lock entry)"
        distro = ""
    component.purl = deb_purl(info.package, info.version, info.architecture, distro, source)
    component.source_info = f"built from the Debian source package {source} {source_version or info.version}"
    return component


def _deb_tree(item: dict[str, Any], layer: int) -> tuple[list[Component], locks.LockRef]:
    record = load_json(item["record"], "deb tree packages record")
    if not isinstance(record, dict) or record.get("format") != DEB_TREE_FORMAT:
        raise UserError(f"{item['record']} is not a {DEB_TREE_FORMAT} record; re-fetch the repository that holds it")
    lock = locks.LockRef(record["lock"], record["lock_sha256"], "deb")
    result = []
    for p in record["packages"]:
        result.append(Component(
            "deb", p["name"], p["version"], layer, item["path"],
            sha256=p["sha256"],
            purl=deb_purl(p["name"], p["version"], p["architecture"], p.get("suite", ""), p["source"]),
            download=_snapshot_url(p.get("urls", [])),
            supplier="Organization: Debian",
            source_info=f"built from the Debian source package {p['source']} {p['source_version']}",
            comment=f"unpacked at /{item['path']} (no dpkg status record)",
            lock=lock,
        ))
    return result, lock


def _boot_jar(item: dict[str, Any], layer: int) -> list[Component]:
    jar = Component("application", os.path.basename(item["path"]), None, layer, item["path"],
                    sha256=locks.file_sha256(item["file"]), purpose="APPLICATION",
                    source_info=f"Spring Boot jar built by Bazel from {item['label']}")
    result = [jar]
    try:
        with zipfile.ZipFile(item["file"]) as z:
            present = set(z.namelist())
    except (OSError, zipfile.BadZipFile) as e:
        raise UserError(f"cannot read the Spring Boot jar {item['file']}: {e}") from None
    for lib in item["libs"]:
        if f"BOOT-INF/lib/{lib['name']}" not in present:
            continue  # a starter or annotation-processor jar: the jar writer leaves it out, as Spring Boot does
        path = f"{item['path']}!/BOOT-INF/lib/{lib['name']}"
        locked = lib.get("locked")
        if locked:
            entry = locks.maven_entry(locked["lock"], locked["lock_label"], locked["key"], lib["file"])
            result.append(Component(
                "maven", entry["artifact"], entry["version"], layer, path, sha256=entry["sha256"],
                purl=maven_purl(entry), download=(entry.get("urls") or [None])[0],
                source_info=f"Maven artifact {locked['key']}:{entry['version']}",
                lock=_lock_ref(locked, "maven"), parent=jar.path))
        else:
            result.append(Component(
                "jar", lib["name"], None, layer, path, sha256=locks.file_sha256(lib["file"]),
                source_info=f"built by Bazel from {lib['label']}", parent=jar.path))
    return result


def _is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}") from None


def _native(item: dict[str, Any], layer: int) -> tuple[Component, list[locks.LockRef]]:
    component = Component("native", os.path.basename(item["path"]), None, layer, item["path"],
                          sha256=locks.file_sha256(item["file"]))
    try:
        elf = elf_file.read_elf(item["file"])
        facts = [elf.kind]
        if elf.soname:
            facts.append(f"SONAME {elf.soname}")
        if elf.build_id:
            facts.append(f"build-id {elf.build_id.hex()}")
        component.comment = "ELF " + ", ".join(facts)
    except UserError:
        component.comment = "ELF file"
    sources = []
    used = []
    for locked in item.get("derived_from", []):
        if locked["kind"] == "maven":
            entry = locks.maven_entry_unchecked(locked["lock"], locked["lock_label"], locked["key"])
            sources.append(maven_purl(entry))
            used.append(_lock_ref(locked, "maven"))
    if sources:
        component.source_info = f"made by {item['label']} from {', '.join(sorted(sources))}"
    else:
        component.source_info = f"built by Bazel from {item['label']}"
    return component, used


def resolve(layers: Sequence[Layer], wheel_files: Sequence[str], pip_locks: Sequence[tuple[str, str]]) -> Inventory:
    components: list[Component] = []
    notes: list[str] = []
    used: dict[tuple[str, str], locks.LockRef] = {}

    def use(ref: locks.LockRef | None) -> None:
        if ref is not None:
            used[(ref.label, ref.sha256)] = ref

    for layer in layers:
        if layer.items is None:
            notes.append(f"layer {layer.index} ({layer.digest}) was not made by a rule that describes its contents")
            continue
        for item in layer.items:
            kind = item["kind"]
            if kind == "deb":
                components.append(_deb(item, layer.index))
            elif kind == "deb_tree":
                tree, ref = _deb_tree(item, layer.index)
                components.extend(tree)
                use(ref)
            elif kind == "boot_jar":
                components.extend(_boot_jar(item, layer.index))
            elif kind == "file" and _is_elf(item["file"]):
                native, refs = _native(item, layer.index)
                components.append(native)
                for ref in refs:
                    use(ref)
            elif kind == "dist_info":
                wheel = wheels.find_wheel(item["metadata"], wheel_files, pip_locks)
                components.append(Component(
                    "pypi", wheel.name, wheel.version, layer.index, item["path"], sha256=wheel.sha256,
                    purl=pypi_purl(wheel.name, wheel.version),
                    source_info=f"installed from the wheel {wheel.file_name}", lock=wheel.lock))
            elif kind == "binary":
                components.append(Component("application", item["label"].rpartition(":")[2], None, layer.index,
                                            item["path"], purpose="APPLICATION",
                                            source_info=f"built by Bazel from {item['label']}"))
            elif kind in ("tar", "tree"):
                what = f"the tar {item.get('label')}" if kind == "tar" else f"the directory {item.get('label')}"
                notes.append(f"layer {layer.index}: {what} at /{item['path']} is not itemized")
    for component in components:
        use(component.lock)
    return Inventory(components, notes, sorted(used.values(), key=lambda r: (r.label, r.sha256)))


def locks_json(inventory: Inventory) -> bytes:
    """The locks an image's contents came from, for its provenance (canonical JSON)."""
    return canonical_json.dumps([dataclasses.asdict(ref) for ref in inventory.locks])

