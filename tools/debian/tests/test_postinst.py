"""Maintainer-script effects made from package data: CA bundle, Java trust store, JRE alternatives."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile

import pytest

from tools.common.errors import UserError
from tools.debian import java_truststore
from tools.debian.repack import repack
from tools.debian.tests.debfixtures import build_deb
from tools.testing import pki

_POSTINST = """#!/bin/sh
set -e
multiarch=x86_64-linux-gnu
priority=1711
basedir=/usr/lib/jvm/java-17-openjdk-amd64
mandir=$basedir/man
jre_tools='java jpackage keytool rmiregistry'
for i in $jre_tools; do update-alternatives --install /usr/bin/$i $i $basedir/bin/$i $priority; done
"""


def keytool() -> str:
    """The pinned JDK's keytool under Bazel (KEYTOOL), else one on PATH."""
    path = os.environ.get("KEYTOOL") or shutil.which("keytool")
    if not path:
        pytest.fail("no keytool: run under Bazel (the pinned JDK's) or put a JDK on PATH")
    return os.path.abspath(path) if os.environ.get("KEYTOOL") else path


def make_certificate(tmp_path, name: str) -> bytes:
    """A real self-signed CA certificate (PEM), made by openssl."""
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    pki.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj", f"/CN={name}")
    return cert.read_bytes()


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("postinst")
    certs = {name: make_certificate(tmp, name) for name in ("Zeta_Root", "Alpha_Root", "Mid_Root")}
    debs = {
        "ca": build_deb(str(tmp), "ca-certificates", "20230311", arch="all", files={
            f"usr/share/ca-certificates/mozilla/{name}.crt": pem for name, pem in certs.items()}),
        "ca-java": build_deb(str(tmp), "ca-certificates-java", "20230710", arch="all", files={
            "usr/share/ca-certificates-java/ca-certificates-java.jar": b"PK not used\n"}),
        "jre": build_deb(str(tmp), "openjdk-17-jre-headless", "17.0.21", files={
            f"usr/lib/jvm/java-17-openjdk-amd64/bin/{tool}": b"\x7fELF" for tool in
            ("java", "jpackage", "keytool", "rmiregistry")},
            setup=lambda root: _postinst(root, _POSTINST)),
        "jre-odd": build_deb(str(tmp), "openjdk-21-jre-headless", "21.0.1", files={
            "usr/lib/jvm/x/bin/java": b"x"}, setup=lambda root: _postinst(root, "#!/bin/sh\necho custom\n")),
    }
    return debs, certs


def _postinst(root: str, text: str) -> None:
    path = os.path.join(root, "DEBIAN", "postinst")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def _layer(debs) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    out = io.BytesIO()
    repack(debs, out, compression="none")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as archive:
        return {m.name: (m, archive.extractfile(m).read() if m.isreg() else b"") for m in archive}


def test_jre_alternatives_follow_its_postinst(packages):
    debs, _ = packages
    layer = _layer([debs["jre"]])
    for tool in ("java", "jpackage", "keytool", "rmiregistry"):
        assert layer[f"usr/bin/{tool}"][0].linkname == f"/etc/alternatives/{tool}"
        assert layer[f"etc/alternatives/{tool}"][0].linkname == f"/usr/lib/jvm/java-17-openjdk-amd64/bin/{tool}"
    assert "usr/bin/jexec" not in layer


def test_jre_whose_postinst_is_unknown_fails_in_one_line(packages):
    debs, _ = packages
    with pytest.raises(UserError, match=r"openjdk-21-jre-headless.*does not set basedir= and jre_tools") as error:
        _layer([debs["jre-odd"]])
    assert "\n" not in str(error.value)


def test_java_trust_store_holds_every_certificate_of_the_bundle(packages, tmp_path):
    debs, certs = packages
    layer = _layer([debs["ca-java"], debs["ca"]])
    bundle = layer["etc/ssl/certs/ca-certificates.crt"][1]
    store = layer["etc/ssl/certs/java/cacerts"]
    assert store[0].mode == 0o644
    assert _layer([debs["ca"], debs["ca-java"]])["etc/ssl/certs/java/cacerts"][1] == store[1], "order-independent"
    path = tmp_path / "cacerts"
    path.write_bytes(store[1])
    listing = subprocess.run([keytool(), "-list", "-keystore", str(path), "-storepass", "changeit"],
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    assert "Your keystore contains 3 entries" in listing.stdout, listing.stdout
    for name in certs:
        assert f"debian:{name.lower()}.pem" in listing.stdout
    wrong = subprocess.run([keytool(), "-list", "-keystore", str(path), "-storepass", "wrongpass"],
                           capture_output=True, text=True)
    assert wrong.returncode != 0 and "password was incorrect" in (wrong.stdout + wrong.stderr)
    assert len(java_truststore.der_certificates(bundle, "bundle")) == 3


def test_java_trust_store_needs_ca_certificates_in_the_layer(packages):
    debs, _ = packages
    with pytest.raises(UserError, match="put both packages in the same layer"):
        _layer([debs["ca-java"]])


def test_keystore_bytes_are_fixed():
    """Entry order, times and checksum do not vary: same certificates, same bytes."""
    a = java_truststore.keystore({"b": b"\x30\x01B", "a": b"\x30\x01A"})
    b = java_truststore.keystore({"a": b"\x30\x01A", "b": b"\x30\x01B"})
    assert a == b
    assert a[:12] == bytes.fromhex("feedfeed0000000200000002")
    with pytest.raises(UserError, match="differ only in case"):
        java_truststore.keystore({"A": b"x", "a": b"y"})
