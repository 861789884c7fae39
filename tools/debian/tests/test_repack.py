"""Repacking real .deb files (dpkg-deb and hand-crafted hostile ones) into layers."""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import random
import stat
import subprocess
import sys
import tarfile

import pytest
import zstandard

from tools.common.errors import UserError
from tools.debian.repack import read_deb, repack, status_record
from tools.debian.tests.debfixtures import REPO_ROOT, build_deb, subprocess_env


def _rich_setup(root: str) -> None:
    os.makedirs(os.path.join(root, "usr/bin"), exist_ok=True)
    os.makedirs(os.path.join(root, "usr/lib/rich"), exist_ok=True)
    helper = os.path.join(root, "usr/bin/rich-helper")
    with open(helper, "wb") as f:
        f.write(b"#!/bin/sh\necho helper\n")
    os.chmod(helper, 0o4755)
    os.link(helper, os.path.join(root, "usr/bin/rich-helper-alias"))
    with open(os.path.join(root, "usr/lib/rich/librich.so.1.0"), "wb") as f:
        f.write(b"\x7fELF fake\n")
    os.symlink("librich.so.1.0", os.path.join(root, "usr/lib/rich/librich.so.1"))
    os.symlink("/usr/lib/rich/librich.so.1.0", os.path.join(root, "usr/lib/rich/librich.so"))
    os.symlink("../../../../etc/passwd", os.path.join(root, "usr/lib/rich/outside"))
    with open(os.path.join(root, "DEBIAN/md5sums"), "w") as f:
        f.write("d41d8cd98f00b204e9800998ecf8427e  usr/lib/rich/librich.so.1.0\n")


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("repack-debs"))
    rich = build_deb(out, "rich", "1.0-1", control_extra={"Depends": "libc6 (>= 2.34)", "Multi-Arch": "same"},
                     setup=_rich_setup)
    zstd = build_deb(out, "zpkg", "2.0", compression="zstd", files={"usr/share/zpkg/data.txt": b"zstd data\n"})
    plain = build_deb(out, "alldata", "3.0", arch="all", compression="gzip",
                      files={"usr/share/alldata/a.txt": b"a\n", "usr/share/doc/alldata/copyright": b"c\n"})
    return {"rich": rich, "zpkg": zstd, "alldata": plain}


def _members(layer: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(layer), mode="r:*") as tar:
        return {m.name: m for m in tar.getmembers()}


def _read(layer: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(layer), mode="r:*") as tar:
        return tar.extractfile(name).read()


def test_read_deb(debs):
    info = read_deb(debs["rich"], None)
    assert (info.package, info.version, info.architecture) == ("rich", "1.0-1", "amd64")
    assert info.data_member == "data.tar.xz"
    assert info.md5sums.startswith(b"d41d8cd98f00b204e9800998ecf8427e")
    assert read_deb(debs["zpkg"], None).data_member == "data.tar.zst"


def test_single_deb_layer(debs):
    out = io.BytesIO()
    desc = repack([debs["rich"]], out, compression="gzip")
    layer = out.getvalue()
    assert desc.size == len(layer) and desc.media_type.endswith("+gzip")
    m = _members(layer)
    helper = m["usr/bin/rich-helper"]
    assert helper.isreg() and stat.S_IMODE(helper.mode) == 0o4755  # setuid kept
    alias = m["usr/bin/rich-helper-alias"]
    assert alias.islnk() and alias.linkname == "usr/bin/rich-helper"
    assert m["usr/lib/rich/librich.so.1"].issym() and m["usr/lib/rich/librich.so.1"].linkname == "librich.so.1.0"
    assert m["usr/lib/rich/librich.so"].linkname == "/usr/lib/rich/librich.so.1.0"  # absolute target verbatim
    assert m["usr/lib/rich/outside"].linkname == "../../../../etc/passwd"  # data, resolved in the container
    for info in m.values():
        assert (info.uid, info.gid, info.mtime) == (0, 0, 0)
    assert not any(name.startswith(("./", "/")) for name in m)
    status = _read(layer, "var/lib/dpkg/status.d/rich").decode()
    lines = status.splitlines()
    assert lines[:2] == ["Package: rich", "Status: install ok installed"]
    assert lines[2:5] == ["Version: 1.0-1", "Architecture: amd64", "Maintainer: Test <test@example.invalid>"]
    assert "Depends: libc6 (>= 2.34)" in lines and status.endswith(" rich exists only in tests.\n")
    assert _read(layer, "var/lib/dpkg/status.d/rich.md5sums").startswith(b"d41d8cd98f00b204e9800998ecf8427e")
    assert stat.S_IMODE(m["var/lib/dpkg/status.d/rich"].mode) == 0o644


def test_zstd_deb(debs):
    out = io.BytesIO()
    repack([debs["zpkg"]], out, compression="none")
    assert _read(out.getvalue(), "usr/share/zpkg/data.txt") == b"zstd data\n"
    assert _read(out.getvalue(), "var/lib/dpkg/status.d/zpkg").startswith(b"Package: zpkg\nStatus: install ok")


def test_merged_layer_is_independent_of_order(debs, tmp_path):
    paths = sorted(debs.values())
    outputs = set()
    descriptors = set()
    for seed in range(4):
        order = list(paths)
        random.Random(seed).shuffle(order)
        out = io.BytesIO()
        desc = repack(order, out)
        outputs.add(out.getvalue())
        descriptors.add(json.dumps(desc.to_json(), sort_keys=True))
    assert len(outputs) == 1 and len(descriptors) == 1
    m = _members(outputs.pop())
    for name in ("rich", "zpkg", "alldata"):
        assert f"var/lib/dpkg/status.d/{name}" in m


def test_cli_merged_and_shuffled(debs, tmp_path):
    results = []
    for i, order in enumerate((sorted(debs.values()), sorted(debs.values(), reverse=True))):
        out = tmp_path / f"layer{i}.tar.gz"
        desc = tmp_path / f"layer{i}.json"
        args = [a for deb in order for a in ("--deb", deb)]
        proc = subprocess.run(
            [sys.executable, "-m", "tools.debian.deb_repack", *args, "--output", str(out), "--descriptor", str(desc)],
            cwd=REPO_ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        results.append((out.read_bytes(), desc.read_bytes()))
    assert results[0] == results[1]
    descriptor = json.loads(results[0][1])
    assert descriptor["size"] == len(results[0][0])
    assert results[0][1] == json.dumps(descriptor, sort_keys=True, separators=(",", ":")).encode()


def test_same_package_twice_is_an_error(debs, tmp_path):
    other = build_deb(str(tmp_path), "rich", "2.0")
    with pytest.raises(UserError, match=r"package rich given twice: .* \(1.0-1\) and .* \(2.0\)|"
                                        r"package rich given twice: .* \(2.0\) and .* \(1.0-1\)"):
        repack([debs["rich"], other], io.BytesIO())


def test_status_record_position():
    control = "Source: x\nPackage: p\nVersion: 1\nDescription: d\n long\n"
    assert status_record(control) == b"Source: x\nPackage: p\nStatus: install ok installed\nVersion: 1\nDescription: d\n long\n"


# -- hostile packages ---------------------------------------------------------------------------

def _ar(path: str, members: list[tuple[str, bytes]]) -> str:
    with open(path, "wb") as f:
        f.write(b"!<arch>\n")
        for name, data in members:
            f.write(f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode())
            f.write(data)
            if len(data) % 2:
                f.write(b"\n")
    return path


def _tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name: str, data: bytes = b"x\n") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    return info, data


def _hostile_deb(tmp_path, name: str, members) -> str:
    control = _tar([_file("./control", f"Package: {name}\nVersion: 1\nArchitecture: all\n".encode())])
    data = _tar([_file("./usr/share/ok.txt"), *members])
    return _ar(str(tmp_path / f"{name}.deb"), [("debian-binary", b"2.0\n"), ("control.tar.gz", gzip.compress(control)),
                                               ("data.tar", data)])


def _device(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info, None


def _symlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    "member, expected",
    [
        (_file("../evil"), "data.tar member '../evil': path '../evil' contains a '..' component"),
        (_file("./usr/../../evil"), "member './usr/../../evil': path './usr/../../evil' contains a '..' component"),
        (_file("/etc/evil"), "data.tar member '/etc/evil': path '/etc/evil' is absolute"),
        (_device("./dev/null"), "data.tar member './dev/null' is a device node"),
    ],
)
def test_hostile_members_are_rejected_by_name(tmp_path, member, expected):
    deb = _hostile_deb(tmp_path, "hostile", [member])
    out = tmp_path / "layer.tar.gz"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.debian.deb_repack", "--deb", deb, "--output", str(out)],
        cwd=REPO_ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"deb_repack: error: {deb}: "), proc.stderr
    assert expected in proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["hostile.deb"]  # no layer, no temporary file


def test_hostile_symlink_is_kept_verbatim(tmp_path):
    deb = _hostile_deb(tmp_path, "links", [_symlink("./usr/lib/passwd", "../../../../etc/passwd"),
                                           _symlink("./usr/lib/abs", "/etc/shadow")])
    out = io.BytesIO()
    repack([deb], out)
    m = _members(out.getvalue())
    assert m["usr/lib/passwd"].linkname == "../../../../etc/passwd"
    assert m["usr/lib/abs"].linkname == "/etc/shadow"


@pytest.mark.parametrize(
    "members, expected",
    [
        ([("debian-binary", b"2.0\n")], "not a complete Debian package"),
        ([("control.tar.gz", b"")], "first member must be debian-binary"),
        ([("debian-binary", b"2.0\n"), ("evil", b"x")], "unexpected ar member 'evil'"),
        ([("debian-binary", b"2.0\n"), ("control.tar.gz", b"not gzip")], "control.tar.gz is not gzip data; the pa"),
        ([("debian-binary", b"2.0\n"), ("control.tar", gzip.compress(b"x"))], "control.tar holds gzip data, but"),
    ],
)
def test_malformed_packages(tmp_path, members, expected):
    deb = _ar(str(tmp_path / "bad.deb"), members)
    with pytest.raises(UserError, match=expected):
        repack([deb], io.BytesIO())


def _run_repack(deb: str, tmp_path) -> str:
    """deb_repack's one error line for `deb`; nothing may be left beside the package."""
    before = sorted(os.listdir(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "tools.debian.deb_repack", "--deb", deb, "--output", str(tmp_path / "layer.tar.gz")],
        cwd=REPO_ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("deb_repack: error: "), proc.stderr
    assert sorted(os.listdir(tmp_path)) == before  # no layer, no temporary file
    return proc.stderr[len("deb_repack: error: "):].rstrip("\n")


def test_the_first_bad_member_in_tar_order_is_reported(tmp_path):
    """A bad path before a device node: the path is what the user hears about first."""
    deb = _hostile_deb(tmp_path, "order", [_file("./usr/../../evil"), _device("./dev/null")])
    assert _run_repack(deb, tmp_path) == (f"{deb}: data.tar member './usr/../../evil': path './usr/../../evil' "
                                          "contains a '..' component")
    deb = _hostile_deb(tmp_path, "order2", [_device("./dev/null"), _file("/etc/evil")])
    assert _run_repack(deb, tmp_path).startswith(f"{deb}: data.tar member './dev/null' is a device node")


def test_a_file_under_a_symlinked_directory_names_the_data_member(tmp_path):
    deb = _hostile_deb(tmp_path, "symdir", [_symlink("./usr/lib", "lib64"), _file("./usr/lib/libx.so")])
    message = _run_repack(deb, tmp_path)
    assert message == (f"'usr/lib' is a symlink to 'lib64' from {deb}: data.tar member './usr/lib', but "
                       f"'usr/lib/libx.so' (from {deb}: data.tar member './usr/lib/libx.so') needs it to be a "
                       "directory")
    assert "deb-repack-" not in message and ".data" not in message  # never the temporary copy


def _control_tar(compression: str) -> bytes:
    tar = _tar([_file("./control", b"Package: t\nVersion: 1\nArchitecture: all\n"),
                _file("./md5sums", bytes(range(256)) * 40)])
    return {"": lambda b: b, ".gz": gzip.compress, ".xz": lzma.compress,
            ".zst": lambda b: zstandard.ZstdCompressor().compress(b)}[compression](tar)


# Where a plain control.tar (control: header + 1 block, md5sums: header + 20 blocks) is cut: inside a
# block, inside md5sums' data on a block boundary, and right after md5sums, before the end marker.
_PLAIN_CUTS = {"mid-block": 700, "in-data": 512 * 5, "no-end-marker": 512 * 23}


@pytest.mark.parametrize("suffix, cut", [("", c) for c in _PLAIN_CUTS] + [
    (suffix, keep) for suffix in (".gz", ".xz", ".zst") for keep in (0.1, 0.5, 0.97)])
def test_a_truncated_control_tar_is_one_line_saying_so(tmp_path, suffix, cut):
    whole = _control_tar(suffix)
    cut = _PLAIN_CUTS[cut] if suffix == "" else int(len(whole) * cut)
    deb = _ar(str(tmp_path / "t.deb"), [("debian-binary", b"2.0\n"), ("control.tar" + suffix, whole[:cut]),
                                        ("data.tar", _tar([_file("./usr/share/ok.txt")]))])
    message = _run_repack(deb, tmp_path)
    assert message.startswith(f"{deb}: control.tar{suffix} is truncated: "), message


def test_not_an_ar_archive(tmp_path):
    path = tmp_path / "x.deb"
    path.write_bytes(b"hello")
    with pytest.raises(UserError, match="no ar archive magic"):
        repack([str(path)], io.BytesIO())


def test_truncated_package(debs, tmp_path):
    data = open(debs["rich"], "rb").read()
    path = tmp_path / "t.deb"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="truncated"):
        repack([str(path)], io.BytesIO())


@pytest.mark.parametrize("compression", ["xz", "zstd"])
def test_ca_certificates_bundle_is_generated(tmp_path, compression):
    """The bundle update-ca-certificates would write: certificates by path, newline-terminated."""
    deb = build_deb(str(tmp_path), "ca-certificates", "20230311", arch="all", compression=compression, files={
        "usr/share/ca-certificates/mozilla/B_Root.crt": b"-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----",
        "usr/share/ca-certificates/mozilla/A_Root.crt": b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
        "usr/share/doc/ca-certificates/README": b"not a certificate\n",
    })
    out = io.BytesIO()
    repack([deb], out, compression="none")
    assert _read(out.getvalue(), "etc/ssl/certs/ca-certificates.crt") == (
        b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
        b"-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n"
    )
    other = io.BytesIO()
    repack([build_deb(str(tmp_path), "other", "1.0")], other, compression="none")
    assert "etc/ssl/certs/ca-certificates.crt" not in _members(other.getvalue())
