"""deb_tree: packages unpacked into one tree with their absolute symlinks kept and their modes recorded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tools.common.errors import UserError
from tools.debian import deb_tree
from tools.debian.repack import iter_ar
from tools.debian.tests.debfixtures import REPO_ROOT, build_deb
from tools.layer import modes


def _data_tar(deb: str, out_dir: str) -> str:
    """The data.tar member of a .deb, as Bazel's download_and_extract(type = "deb") leaves it."""
    with open(deb, "rb") as f:
        for member, reader in iter_ar(f, source=deb):
            if member.name.startswith("data.tar"):
                path = os.path.join(out_dir, os.path.basename(deb) + "." + member.name)
                with open(path, "wb") as out:
                    out.write(reader.read(member.size))
                return path
    raise AssertionError(f"{deb} has no data.tar")


def _runtime_setup(root: str) -> None:
    os.chmod(os.path.join(root, "usr/bin/tool"), 0o755)
    os.chmod(os.path.join(root, "usr/sbin/suid"), 0o4755)
    os.chmod(os.path.join(root, "usr/lib/rt/script.py"), 0o755)
    os.makedirs(os.path.join(root, "usr/lib/rt/conf"))
    os.symlink("/etc/rt/security", os.path.join(root, "usr/lib/rt/conf/security"))  # absolute, to a dir
    os.symlink("/etc/rt/jvm.cfg", os.path.join(root, "usr/lib/rt/jvm.cfg"))  # absolute, to a file
    os.symlink("../../../../../../etc/rt/jvm.cfg", os.path.join(root, "usr/lib/rt/climbing.cfg"))
    os.symlink("/etc/alternatives/missing", os.path.join(root, "usr/bin/dangling"))
    os.symlink("dangling", os.path.join(root, "usr/bin/to-dangling"))
    os.symlink("tool", os.path.join(root, "usr/bin/tool-alias"))
    os.symlink("rt-data", os.path.join(root, "usr/share/doc/rt"))
    os.link(os.path.join(root, "usr/bin/tool"), os.path.join(root, "usr/bin/tool-hardlink"))


@pytest.fixture
def packages(tmp_path):
    debs = tmp_path / "debs"
    debs.mkdir()
    runtime = build_deb(str(debs), "rt", "1.0", files={
        "usr/bin/tool": b"#!/bin/sh\necho tool\n",
        "usr/sbin/suid": b"setuid helper\n",
        "usr/lib/rt/script.py": b"#! /usr/bin/python3\n",
        "usr/lib/rt/lib.so": b"\x7fELF shared library\n",
        "usr/share/doc/rt-data/README": b"docs\n",
    }, setup=_runtime_setup)
    config = build_deb(str(debs), "rt-config", "1.0", files={
        "etc/rt/jvm.cfg": b"-server KNOWN\n",
        "etc/rt/security/java.security": b"security=1\n",
        "usr/share/doc/rt-data/README": b"docs\n",  # the same file in both packages: fine
    })
    return [("rt", _data_tar(runtime, str(tmp_path))), ("rt-config", _data_tar(config, str(tmp_path)))]


def test_tree_keeps_absolute_symlinks_inside_and_records_package_modes(tmp_path, packages):
    out = tmp_path / "tree"
    deb_tree.unpack(packages, str(out))
    assert os.readlink(out / "usr/lib/rt/jvm.cfg") == "../../../etc/rt/jvm.cfg"
    assert os.readlink(out / "usr/lib/rt/conf/security") == "../../../../etc/rt/security"
    assert os.readlink(out / "usr/lib/rt/climbing.cfg") == "../../../etc/rt/jvm.cfg"
    assert (out / "usr/lib/rt/jvm.cfg").read_bytes() == b"-server KNOWN\n"
    assert (out / "usr/lib/rt/conf/security/java.security").read_bytes() == b"security=1\n"
    assert not os.path.lexists(out / "usr/bin/dangling"), "Bazel's glob refuses dangling links"
    assert not os.path.lexists(out / "usr/bin/to-dangling"), "nor links to them"
    assert os.stat(out / "usr/bin/tool").st_ino == os.stat(out / "usr/bin/tool-hardlink").st_ino
    assert os.stat(out / "usr/bin/tool").st_mode & 0o111, "the tree's tools must run"
    assert modes.parse_record(str(out / modes.RECORD_NAME)) == {
        "etc/rt/jvm.cfg": 0o644,
        "etc/rt/security/java.security": 0o644,
        "usr/bin/tool": 0o755,
        "usr/bin/tool-alias": 0o755,
        "usr/bin/tool-hardlink": 0o755,
        "usr/lib/rt/climbing.cfg": 0o644,
        "usr/lib/rt/conf/security/java.security": 0o644,  # through a symlinked directory, as glob sees it
        "usr/lib/rt/jvm.cfg": 0o644,
        "usr/lib/rt/lib.so": 0o644,
        "usr/lib/rt/script.py": 0o755,
        "usr/sbin/suid": 0o4755,
        "usr/share/doc/rt-data/README": 0o644,
        "usr/share/doc/rt/README": 0o644,
    }


def test_tree_does_not_depend_on_the_order_packages_are_given(tmp_path, packages):
    deb_tree.unpack(packages, str(tmp_path / "a"))
    deb_tree.unpack(list(reversed(packages)), str(tmp_path / "b"))
    assert (tmp_path / "a" / modes.RECORD_NAME).read_bytes() == (tmp_path / "b" / modes.RECORD_NAME).read_bytes()


def test_conflicting_packages_name_both(tmp_path, packages):
    other = build_deb(str(tmp_path), "rt-fork", "2.0", files={"etc/rt/jvm.cfg": b"-client\n"})
    with pytest.raises(UserError, match=r"'etc/rt/jvm.cfg' is a file in package rt-config and a different file "
                                        r"in package rt-fork"):
        deb_tree.unpack(packages + [("rt-fork", _data_tar(other, str(tmp_path)))], str(tmp_path / "tree"))


def test_runs_as_the_repository_rule_runs_it(tmp_path, packages):
    """With the machine's python3, no site-packages, no bytecode: the standard library must do."""
    python = shutil.which("python3") or sys.executable
    source = tmp_path / "source"  # a copy of the tools, to see that nothing is written into them
    shutil.copytree(os.path.join(REPO_ROOT, "tools"), source / "tools",
                    ignore=shutil.ignore_patterns("__pycache__", "tests"))
    command = [python, "-B", "-S", "-c",
               "import sys; sys.path.insert(0, sys.argv.pop(1)); from tools.debian.deb_tree import main; main()",
               str(source)]
    data = [arg for name, path in packages for arg in ("--data", f"{name}={path}")]
    result = subprocess.run(command + data + ["--output", str(tmp_path / "tree")], capture_output=True, text=True,
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tree" / modes.RECORD_NAME).exists()
    assert not list(source.rglob("__pycache__"))
    bad = subprocess.run(command + ["--data", "no-equals-sign", "--output", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1, bad.stderr
    assert bad.stderr.startswith("deb_tree: error: --data 'no-equals-sign': expected NAME=PATH")
    missing = subprocess.run(command + ["--output", str(tmp_path / "x")], capture_output=True, text=True)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1, missing.stderr
    assert "deb_tree: error: the following arguments are required: --data" in missing.stderr
