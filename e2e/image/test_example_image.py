"""The example image, checked with independent tools: skopeo reads what we wrote, umoci unpacks
the root file system we meant."""

from __future__ import annotations

import os
import stat

import pytest

from tools.testing import oci_tools

HERE = "e2e/image"


def _digest(name: str) -> str:
    with open(f"{HERE}/{name}.digest", encoding="ascii") as f:
        return f.read()


@pytest.mark.parametrize("name", ["example_image", "derived_image"])
def test_skopeo_reports_our_digest(name):
    assert oci_tools.skopeo_inspect(f"{HERE}/{name}")["Digest"] == _digest(name)


def test_configuration_is_as_declared():
    config = oci_tools.skopeo_inspect(f"{HERE}/example_image", config=True)
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert config["config"] == {
        "Entrypoint": ["/app/hello.sh"],
        "Env": ["GREETING=hello"],
        "ExposedPorts": {"8080/tcp": {}},
        "Labels": {"org.example.purpose": "example"},
        "WorkingDir": "/app",
    }
    assert all(h["created"] == "1970-01-01T00:00:00Z" for h in config["history"])


def test_derived_image_inherits_and_extends_its_base():
    base = oci_tools.skopeo_inspect(f"{HERE}/example_image", config=True)
    derived = oci_tools.skopeo_inspect(f"{HERE}/derived_image", config=True)
    assert derived["rootfs"]["diff_ids"][:2] == base["rootfs"]["diff_ids"]
    assert len(derived["rootfs"]["diff_ids"]) == 3
    assert derived["config"]["Env"] == ["GREETING=hello", "EXTRA=1"]
    assert derived["config"]["Entrypoint"] == ["/app/hello.sh"]
    assert derived["config"]["Cmd"] == ["world"]


def test_umoci_unpacks_the_expected_root_file_system(tmp_path):
    rootfs = oci_tools.umoci_unpack(f"{HERE}/example_image", str(tmp_path / "bundle"))
    found = {}
    for dirpath, dirnames, filenames in os.walk(rootfs):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            found[os.path.relpath(path, rootfs)] = (stat.filemode(st.st_mode), st.st_uid, st.st_gid)
    assert found == {
        "gen": ("drwxr-xr-x", 0, 0),
        "gen/generated.txt": ("-rw-r--r--", 0, 0),
        "gen/generated_dir": ("drwxr-xr-x", 0, 0),
        # Bazel reports every file of a directory output executable: modes follow the content.
        "gen/generated_dir/one.txt": ("-rw-r--r--", 0, 0),
        "gen/generated_dir/run.sh": ("-rwxr-xr-x", 0, 0),
        "gen/generated_dir/sub": ("drwxr-xr-x", 0, 0),
        "gen/generated_dir/sub/two.txt": ("-rw-r--r--", 0, 0),
        "app": ("drwxr-xr-x", 0, 0),
        "app/hello.sh": ("-rwxr-xr-x", 0, 0),
        "app/message.txt": ("-rw-r-----", 0, 0),
        "tmp": ("drwxrwxrwt", 0, 0),
        "usr": ("drwxr-xr-x", 0, 0),
        "usr/bin": ("drwxr-xr-x", 0, 0),
        "usr/bin/hello": ("lrwxrwxrwx", 0, 0),
        "var": ("drwxr-xr-x", 0, 0),
        "var/empty": ("drwxr-xr-x", 0, 0),
    }
    assert os.readlink(os.path.join(rootfs, "usr/bin/hello")) == "/app/hello.sh"
    with open(os.path.join(rootfs, "app/message.txt"), encoding="utf-8") as f:
        assert f.read() == "from a reproducible image\n"
    with open(os.path.join(rootfs, "gen/generated_dir/sub/two.txt"), encoding="utf-8") as f:
        assert f.read() == "two\n"
