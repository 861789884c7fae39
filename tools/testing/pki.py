"""A throwaway PKI for tests: a CA, a server certificate for 127.0.0.1 signed by it, a signing pair."""

from __future__ import annotations

import atexit
import dataclasses
import os
import shutil
import ssl
import subprocess
import tempfile

# What `openssl req` needs of a configuration when every value is on its command line. Without
# one it reads the machine's /etc/ssl/openssl.cnf, which a remote worker does not show.
_MINIMAL_CONFIG = "[req]\ndistinguished_name = dn\n[dn]\n"
_config_path: str | None = None


def openssl(*args: str, input: bytes | None = None, cwd: str | None = None) -> bytes:
    """Runs `openssl ARGS` with a minimal configuration of its own; its stdout. A failure raises
    with openssl's message (its stderr), not just the exit status."""
    global _config_path
    if _config_path is None:
        with tempfile.NamedTemporaryFile("w", prefix="openssl-", suffix=".cnf", delete=False) as f:
            f.write(_MINIMAL_CONFIG)
        _config_path = f.name
        atexit.register(os.unlink, f.name)
    result = subprocess.run(["openssl", *args], input=input, cwd=cwd, capture_output=True,
                            env=dict(os.environ, OPENSSL_CONF=_config_path))
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


@dataclasses.dataclass(frozen=True)
class Pki:
    dir: str
    ca_cert: str
    server_cert: str
    server_key: str
    signing_cert: str  # token signing (self-signed, the registry's rootcertbundle)
    signing_key: str
    cert_dir: str  # only ca.crt: for skopeo --cert-dir


def make_pki(directory: str) -> Pki:
    """A CA, a server certificate for 127.0.0.1/localhost signed by it, and a token signing pair.

    Extensions are spelled out (SKI/AKI, key usages) so strict X.509 verification (Python 3.13's
    default) accepts the chain, not just OpenSSL's lenient defaults.
    """
    os.makedirs(directory, exist_ok=True)
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.crt"),
            "-days", "3", "-subj", "/CN=registry-test-ca",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"), "-out", p("server.csr"),
            "-subj", "/CN=127.0.0.1")
    with open(p("server.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("server.crt"), "-days", "3", "-extfile", p("server.ext"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("signing.key"),
            "-out", p("signing.crt"), "-days", "3", "-subj", "/CN=token-signer")
    cert_dir = p("certdir")
    os.makedirs(cert_dir, exist_ok=True)
    shutil.copy(p("ca.crt"), os.path.join(cert_dir, "ca.crt"))
    return Pki(directory, p("ca.crt"), p("server.crt"), p("server.key"), p("signing.crt"), p("signing.key"),
               cert_dir)


def server_ssl_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server_cert, pki.server_key)
    return ctx


def client_ssl_context(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=pki.ca_cert)
