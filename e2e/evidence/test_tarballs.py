"""Every service's `_tarball`: skopeo reads it as a docker-archive and reports the layout's
config digest (the image ID) and diff_ids; `podman load` takes it where podman can run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tools.common import oci

IMAGES = dict(item.split("=", 1) for item in os.environ["REPRO_IMAGES"].split(";"))
TARBALLS = dict(item.split("=", 1) for item in os.environ["REPRO_TARBALLS"].split(";"))


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_skopeo_reports_config_digest_and_diff_ids(name):
    image = oci.resolve_image(oci.Layout.open(IMAGES[name], "image"))
    raw = json.loads(subprocess.run(["skopeo", "inspect", "--raw", f"docker-archive:{TARBALLS[name]}"],
                                    check=True, capture_output=True).stdout)
    assert raw["config"]["digest"] == image.config_descriptor.digest
    info = json.loads(subprocess.run(["skopeo", "inspect", f"docker-archive:{TARBALLS[name]}"], check=True,
                                     capture_output=True).stdout)
    assert info["Layers"] == image.diff_ids()
