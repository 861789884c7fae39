"""Memory stays O(entries): a ~1 GiB layer is written with a peak RSS far below its size."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tools.layer.tests.helpers import REPO_ROOT

GIB = 1 << 30
LIMIT_MIB = 150

# Runs argv[1:] as its only child and prints that child's peak RSS (KiB on Linux).
_MEASURE = (
    "import resource, subprocess, sys\n"
    "completed = subprocess.run(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(completed.returncode)\n"
)


def _peak_rss_mib(args: list[str], cwd: str) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO_ROOT] + [p for p in sys.path if p]))
    completed = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "tools.layer.layer_writer",
                                *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return int(completed.stdout.strip()) / 1024


@pytest.mark.slow
def test_one_gib_layer_from_sparse_file_and_from_compressed_tar(tmp_path):
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(GIB)  # sparse: no disk, but every byte is read, hashed and compressed
    (tmp_path / "file.json").write_text(json.dumps({"entries": [{"path": "big", "type": "file", "src": str(big)}]}))
    rss = _peak_rss_mib(["--spec=file.json", "--output=file.tar.gz", "--descriptor=file.desc",
                         "--compression=gzip", "--threads=2"], str(tmp_path))
    assert rss < LIMIT_MIB, f"peak RSS {rss:.0f} MiB writing a 1 GiB file layer"
    from_file = json.loads((tmp_path / "file.desc").read_text())

    # The gzip layer is itself a .tar.gz: read it back as a tar input (spooled decompression).
    (tmp_path / "tar.json").write_text(json.dumps({"entries": [{"path": "", "type": "tar",
                                                                "src": "file.tar.gz"}]}))
    rss = _peak_rss_mib(["--spec=tar.json", "--output=tar.tar", "--descriptor=tar.desc", "--compression=none"],
                        str(tmp_path))
    assert rss < LIMIT_MIB, f"peak RSS {rss:.0f} MiB writing a 1 GiB layer from a .tar.gz"
    from_tar = json.loads((tmp_path / "tar.desc").read_text())
    assert from_tar["diffID"] == from_file["diffID"], "re-reading our own layer must give the same tar"
    assert from_tar["size"] == GIB + 512 + 1024
    assert [name for name in os.listdir(tmp_path) if name.startswith(".tmp")] == []
