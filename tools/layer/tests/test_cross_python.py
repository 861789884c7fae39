"""The same spec gives the same layer bytes on every Python 3.9+ (compression none and gzip).

Interpreters come from REPRO_EXTRA_PYTHONS (colon-separated paths) or, by default, the pyenv
versions below if present under $PYENV_ROOT (~/.pyenv). They run tests/driver.py, which needs
only the standard library. Absent interpreters are skipped, with the reason.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from tools.layer.tests.helpers import sample_data

DEFAULT_PYENV_VERSIONS = ("3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0")
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver.py")


def _interpreters() -> list[str]:
    configured = os.environ.get("REPRO_EXTRA_PYTHONS")
    if configured:
        return [path for path in configured.split(":") if path]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return [os.path.join(pyenv_root, "versions", version, "bin", "python3") for version in DEFAULT_PYENV_VERSIONS]


def _fixture_tar(path: str, compress) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, mode, data in (("./usr/bin/su", 0o4755, b"su"), ("./usr/share/doc/" + "d" * 120, 0o644, b"doc"),
                                 ("./var/lib/ünïcödé", 0o600, sample_data(200_000, b"tar"))):
            info = tarfile.TarInfo(name)
            info.mode, info.size, info.mtime, info.uid = mode, len(data), 1_650_000_000, 1000
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("./usr/bin/su-again")
        link.type, link.linkname = tarfile.LNKTYPE, "./usr/bin/su"
        archive.addfile(link)
    with open(path, "wb") as f:
        f.write(compress(raw.getvalue()))


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory) -> str:
    import bz2
    import lzma

    root = tmp_path_factory.mktemp("cross")
    tree = root / "tree"
    (tree / "bin").mkdir(parents=True)
    (tree / "bin" / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(tree / "bin" / "tool", 0o755)
    (tree / ("L" * 150)).mkdir()
    (tree / ("L" * 150) / ("M" * 120)).write_bytes(sample_data(700_000, b"cross"))
    (tree / "日本").mkdir()
    (tree / "日本" / "empty").write_bytes(b"")
    os.symlink("/usr/bin/" + "t" * 120, tree / "bin" / "long-link")
    os.symlink("../日本/empty", tree / "bin" / "rel")
    for name, compress in (("a.tar.gz", gzip.compress), ("b.tar.xz", lzma.compress), ("c.tar.bz2", bz2.compress)):
        _fixture_tar(str(root / name), compress)
    spec = {"entries": [
        {"path": "opt/app", "type": "tree", "src": str(tree)},
        {"path": "etc/conf", "type": "file", "src": str(tree / "bin" / "tool"), "mode": "0640"},
        {"path": "etc/hard", "type": "hardlink", "target": "etc/conf"},
        {"path": "tmp", "type": "dir", "mode": "1777"},
        {"path": "usr/bin/python3", "type": "symlink", "target": "python3.11"},
        {"path": "", "type": "tar", "src": str(root / "a.tar.gz")},
        {"path": "x", "type": "tar", "src": str(root / "b.tar.xz")},
        {"path": "y", "type": "tar", "src": str(root / "c.tar.bz2")},
    ], "uname": "root", "gname": "root"}
    path = root / "spec.json"
    path.write_text(json.dumps(spec))
    return str(path)


def _descriptors(python: str, spec: str, out_dir: str) -> dict[str, dict]:
    result = {}
    env = {"PATH": os.environ.get("PATH", "")}  # -I below: no PYTHON* variables, no user site
    for compression in ("none", "gzip"):
        output = os.path.join(out_dir, f"layer.{compression}")
        completed = subprocess.run([python, "-I", DRIVER, spec, output, compression, "2", "1700000000"],
                                   capture_output=True, text=True, env=env)
        assert completed.returncode == 0, f"{python}: {completed.stderr}"
        result[compression] = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="module")
def reference(spec_file, tmp_path_factory) -> dict[str, dict]:
    return _descriptors(sys.executable, spec_file, str(tmp_path_factory.mktemp("reference")))


@pytest.mark.parametrize("python", _interpreters())
def test_same_digests_on_every_interpreter(python, spec_file, reference, tmp_path):
    if not os.access(python, os.X_OK):
        pytest.skip(f"interpreter {python} is not installed (set REPRO_EXTRA_PYTHONS to choose others)")
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    if tuple(int(part) for part in version.split(".")) < (3, 9):
        pytest.skip(f"{python} is Python {version}; the layer writer supports 3.9+")
    assert _descriptors(python, spec_file, str(tmp_path)) == reference, f"{python} (Python {version})"


def test_reference_layer_is_sane(reference):
    assert reference["none"]["diffID"] == reference["gzip"]["diffID"] == reference["none"]["digest"]
    assert reference["gzip"]["mediaType"].endswith("+gzip")
