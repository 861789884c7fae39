"""libaggregation-jni.so as the loader of an image sees it.

- `readelf -d`: every NEEDED library is one that libc++ code built here may need, and each is a
  file of a package of the JNI runtime lock (toolchains/debian/jni_runtime.lock.json), in a
  directory the loader searches; no RPATH or RUNPATH.
- The symbol versions it needs from glibc exist in the lock's libc6.
- JNI_OnLoad is its only exported symbol; it has a SHA-1 build id.
- No absolute path of the build (workspace, output base, sandbox) is in its bytes.
"""

from __future__ import annotations

import os
import re

from tools.debian import repack
from tools.elf.elf_file import read_elf
from tools.layer import tar_reader

LIBRARY = os.environ["LIBRARY"]
ALLOWED = {"libc++.so.1", "libc++abi.so.1", "libunwind.so.1", "libm.so.6", "libc.so.6", "ld-linux-x86-64.so.2"}
SEARCHED = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib")


def _runtime_files(tmp_path) -> dict[str, str]:
    """{path in the image: package} for every file and symlink of the lock's packages."""
    files: dict[str, str] = {}
    for index, deb in enumerate(os.environ["RUNTIME_DEBS"].split()):
        data = str(tmp_path / f"data{index}")
        info = repack.read_deb(deb, data)
        spool = tar_reader.Spool(str(tmp_path))
        try:
            handle, members = tar_reader.read_members(data, spool)
            handle.close()
        finally:
            spool.close()
        for member in members:
            name = member.name[2:] if member.name.startswith("./") else member.name
            if member.kind != tar_reader.DIR:
                files[name.strip("/")] = info.package
    return files


def test_needed_libraries_come_from_the_runtime_lock(tmp_path):
    info = read_elf(LIBRARY)
    assert set(info.needed) <= ALLOWED, f"unexpected NEEDED: {sorted(set(info.needed) - ALLOWED)}"
    assert {"libc++.so.1", "libc.so.6"} <= set(info.needed)
    files = _runtime_files(tmp_path)
    providers = {}
    for name in info.needed:
        found = [files[f"{d}/{name}"] for d in SEARCHED if f"{d}/{name}" in files]
        assert found, f"{name} is in no package of the JNI runtime lock"
        providers[name] = found[0]
    assert providers["libc++.so.1"] == "libc++1-16"
    assert providers["libc.so.6"] == "libc6"
    assert info.rpath == () and info.runpath == ()


def test_glibc_versions_are_bookworms():
    needs = read_elf(LIBRARY).version_needs
    for library, versions in needs.items():
        for version in versions:
            match = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", version)
            if match:
                assert (int(match[1]), int(match[2])) <= (2, 36), f"{version} from {library}: newer than bookworm's glibc"
    assert "GLIBC_2.2.5" in needs["libc.so.6"]


def test_only_jni_onload_is_exported():
    info = read_elf(LIBRARY)
    assert info.exported == ("JNI_OnLoad",)
    assert info.build_id is not None and len(info.build_id) == 20


def test_no_build_path_in_the_bytes():
    data = open(LIBRARY, "rb").read()
    # The test runs under the output base that built the library; its paths, and the source
    # mount of the build environment, must not appear.
    real = os.path.realpath(LIBRARY)
    output_base = real.split("/execroot/")[0]
    for needle in {output_base, os.path.dirname(output_base), "/workspace/", "/execroot/", "/sandbox/", "bazel-out/"}:
        assert needle.encode() not in data, f"{needle!r} is in {LIBRARY}"
