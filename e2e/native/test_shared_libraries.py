"""Every library that an ELF file of a service image needs (`readelf -d` NEEDED) is in that image.

For every ELF file: some file of the image provides the needed name (as its SONAME or file
name). The JDK's libraries name libjvm.so, which the loader finds already loaded (the JVM loads
it first from lib/server/), so presence is the right check for them. For the native libraries
the services themselves add (their application layer), stronger: the image's dynamic loader
finds each one on its search path (RUNPATH with $ORIGIN, then its default directories and
/etc/ld.so.conf.d, read from the image), as it will when the JVM loads them."""

from __future__ import annotations

import glob
import os

import pytest

from tools.elf.elf_file import read_elf
from tools.testing import service_image

IMAGES = dict(item.split("=", 1) for item in os.environ["REPRO_IMAGES"].split(";"))
# glibc's loader on Debian amd64 with no ld.so.cache (no image runs ldconfig): its built-in
# directories, then what /etc/ld.so.conf.d adds (read from the image itself).
_DEFAULT_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib", "lib64", "usr/lib64"]
_ELF_MAGIC = b"\x7fELF"


def _inside(rootfs: str, path: str, depth: int = 0) -> str | None:
    """`path` (absolute in the image) resolved as the image sees it: links followed inside rootfs."""
    if depth > 40:
        return None
    parts = [p for p in path.split("/") if p]
    current = ""
    for i, part in enumerate(parts):
        candidate = f"{current}/{part}"
        host = rootfs + candidate
        if os.path.islink(host):
            target = os.readlink(host)
            base = target if target.startswith("/") else f"{current}/{target}"
            return _inside(rootfs, os.path.normpath(base + "/" + "/".join(parts[i + 1:])).replace("//", "/"), depth + 1)
        if part == "..":
            current = os.path.dirname(current)
            continue
        current = candidate
    return rootfs + current if os.path.exists(rootfs + current) else None


def _search_dirs(rootfs: str) -> list[str]:
    dirs = list(_DEFAULT_DIRS)
    for conf in sorted(glob.glob(os.path.join(rootfs, "etc/ld.so.conf.d/*.conf"))):
        with open(conf, encoding="utf-8") as f:
            dirs += [line.strip().lstrip("/") for line in f if line.strip() and not line.startswith("#")]
    return dirs


def _elf_files(rootfs: str):
    for directory, _, names in os.walk(rootfs):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                if f.read(4) == _ELF_MAGIC:
                    yield "/" + os.path.relpath(path, rootfs)


def _missing(rootfs: str, app_dir: str) -> tuple[int, list[str]]:
    """(ELF files checked, what is missing); `app_dir` is the application layer's directory."""
    infos = {path: read_elf(rootfs + path) for path in _elf_files(rootfs)}
    provided = {os.path.basename(p) for p in infos} | {i.soname for i in infos.values() if i.soname}
    provided |= {os.path.basename(p) for p in _all_links(rootfs)}
    dirs = _search_dirs(rootfs)
    checked, missing = 0, []
    for path, info in sorted(infos.items()):
        if info.kind not in ("DYN", "EXEC") or not info.needed:
            continue
        checked += 1
        origin = os.path.dirname(path)
        paths = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in info.runpath or info.rpath]
        for library in info.needed:
            if library not in provided:
                missing.append(f"{path} needs {library}, which no file of the image provides")
            elif path.startswith(app_dir + "/") and not any(
                    _inside(rootfs, f"/{d.strip('/')}/{library}") for d in paths + dirs):
                missing.append(f"{path} needs {library}, which the loader's search path does not reach")
    return checked, missing


def _all_links(rootfs: str):
    for directory, _, names in os.walk(rootfs):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) and _inside(rootfs, "/" + os.path.relpath(path, rootfs)):
                yield path


@pytest.fixture(scope="module")
def rootfs_of(tmp_path_factory):
    unpacked = {}

    def get(name: str) -> str:
        if name not in unpacked:
            unpacked[name], _ = service_image.unpack(IMAGES[name], str(tmp_path_factory.mktemp(name) / "bundle"))
        return unpacked[name]

    return get


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_every_needed_library_is_in_the_image(rootfs_of, name):
    # The services' own files sit in /<service>/ (JNI services, task_builder) or at the root (the
    # jar of the other Java services, which holds no ELF file).
    checked, missing = _missing(rootfs_of(name), "/" + name)
    assert checked > 10, f"{name}: only {checked} ELF files with NEEDED entries: is the image unpacked?"
    assert not missing, f"{name}: {len(missing)} missing: " + "; ".join(missing[:20])


def test_a_library_out_of_reach_or_missing_is_found(tmp_path):
    rootfs, _ = service_image.unpack(IMAGES["aggregator"], str(tmp_path / "bundle"))
    real = os.path.join(rootfs, "usr/lib/llvm-16/lib/libc++.so.1.0")
    os.makedirs(os.path.join(rootfs, "opt/elsewhere"))
    os.rename(real, os.path.join(rootfs, "opt/elsewhere/libc++.so.1.0"))  # in the image, off the path
    _, missing = _missing(rootfs, "/aggregator")
    assert "/aggregator/libaggregation-jni.so needs libc++.so.1, which the loader's search path does not reach" \
        in missing
    os.unlink(os.path.join(rootfs, "opt/elsewhere/libc++.so.1.0"))
    _, missing = _missing(rootfs, "/aggregator")
    assert "/aggregator/libaggregation-jni.so needs libc++.so.1, which no file of the image provides" in missing


def test_the_jni_libraries_are_among_what_is_checked(rootfs_of):
    rootfs = rootfs_of("model_updater")
    names = {os.path.basename(p) for p in _elf_files(rootfs)}
    assert {"libaggregation-jni.so", "libtensorflow_jni.so", "libtensorflow_framework.so.1"} <= names
    info = read_elf(os.path.join(rootfs, "model_updater/libtensorflow_jni.so"))
    assert "libtensorflow_framework.so.1" in info.needed and "libstdc++.so.6" in info.needed
