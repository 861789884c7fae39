"""The Java base image runs its own Java 17 with nothing of the host, and scanners see its packages."""

from __future__ import annotations

import json
import os

import pytest

from tools.testing import oci_tools

LAYOUT = "toolchains/images/java_base"
LOCK = "toolchains/debian/java_base.lock.json"


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    config = oci_tools.skopeo_inspect(LAYOUT, config=True)["config"]
    rootfs = oci_tools.umoci_unpack(LAYOUT, str(tmp_path_factory.mktemp("java_base") / "bundle"))
    env = dict(item.split("=", 1) for item in config["Env"])
    return rootfs, env


def test_java_is_on_path_through_the_alternatives_links(image):
    rootfs, env = image
    assert os.readlink(os.path.join(rootfs, "usr/bin/java")) == "/etc/alternatives/java"
    result = oci_tools.run_in_rootfs(rootfs, ["java", "-XshowSettings:properties", "-version"], env=env)
    assert result.returncode == 0, result.stderr.decode()
    err = result.stderr.decode()
    assert "java.home = /usr/lib/jvm/java-17-openjdk-amd64" in err
    assert "java.version = 17.0." in err


def test_trust_store_is_the_ca_bundle_as_java_reads_it(image):
    rootfs, env = image
    with open(os.path.join(rootfs, "etc/ssl/certs/ca-certificates.crt"), "rb") as f:
        certificates = f.read().count(b"-----BEGIN CERTIFICATE-----")
    assert certificates > 100
    # The JRE's own cacerts is a link to the trust store the image's packages would have made.
    result = oci_tools.run_in_rootfs(rootfs, ["keytool", "-list", "-cacerts", "-storepass", "changeit"], env=env)
    assert result.returncode == 0, result.stderr.decode()
    assert f"Your keystore contains {certificates} entries" in result.stdout.decode()


def test_every_locked_package_has_a_status_record(image):
    rootfs, _ = image
    with open(LOCK) as f:
        locked = {p["name"] for p in json.load(f)["packages"]}
    recorded = {n for n in os.listdir(os.path.join(rootfs, "var/lib/dpkg/status.d")) if not n.endswith(".md5sums")}
    assert recorded == locked
