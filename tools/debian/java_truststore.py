"""A Java trust store (JKS) of CA certificates, written byte for byte the same every time.

ca-certificates-java's maintainer script runs a Java program that imports every certificate
linked from /etc/ssl/certs into /etc/ssl/certs/java/cacerts, a JKS keystore with the store
password "changeit", aliases `debian:<name>.pem`. Its bytes depend on the order a Hashtable
yields and on the time of installation. Here the same content is written directly:

    magic 0xFEEDFEED, version 2, entry count;
    per certificate (sorted by alias): tag 2 (trusted certificate), alias (Java's modified
    UTF-8, lower case as the JKS provider stores it), creation time 0 ms, "X.509", DER length, DER;
    SHA-1 over UTF-16BE(password) + b"Mighty Aphrodite" + everything before it.

Java 17's keytool and TLS read it (tools/debian/tests/test_java_truststore.py checks with the
pinned JDK's keytool).
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from typing import Mapping

from tools.common.errors import UserError

PASSWORD = "changeit"
_MAGIC = 0xFEEDFEED
_VERSION = 2
_TRUSTED_CERT = 2
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.DOTALL)


def _java_utf(text: str) -> bytes:
    """DataOutputStream.writeUTF: a 2-byte length, then (for the ASCII aliases we write) the bytes."""
    data = text.encode("utf-8")
    if "\0" in text or len(data) > 0xFFFF:
        raise UserError(f"alias {text!r} cannot be stored in a JKS keystore")
    return struct.pack(">H", len(data)) + data


def der_certificates(pem: bytes, what: str) -> list[bytes]:
    """The DER bytes of every certificate in a PEM file, in order."""
    blocks = _PEM.findall(pem)
    if not blocks:
        raise UserError(f"{what}: no PEM certificate in it")
    try:
        return [base64.b64decode(b"".join(block.split()), validate=True) for block in blocks]
    except ValueError as e:
        raise UserError(f"{what}: a PEM certificate is not valid base64: {e}") from None


def keystore(certificates: Mapping[str, bytes], password: str = PASSWORD) -> bytes:
    """A JKS keystore of trusted certificates: {alias: DER bytes}."""
    aliases = sorted({alias.lower() for alias in certificates})
    if len(aliases) != len(certificates):
        raise UserError("two certificates have aliases that differ only in case; JKS stores aliases in lower case")
    by_alias = {alias.lower(): der for alias, der in certificates.items()}
    out = bytearray(struct.pack(">III", _MAGIC, _VERSION, len(aliases)))
    for alias in aliases:
        der = by_alias[alias]
        out += struct.pack(">I", _TRUSTED_CERT) + _java_utf(alias) + struct.pack(">Q", 0)
        out += _java_utf("X.509") + struct.pack(">I", len(der)) + der
    digest = hashlib.sha1(password.encode("utf-16-be") + b"Mighty Aphrodite" + bytes(out))
    return bytes(out) + digest.digest()


def debian_aliases(certificates_by_path: Mapping[str, bytes]) -> dict[str, bytes]:
    """Aliases as ca-certificates-java gives them: `debian:` + the /etc/ssl/certs link name.

    update-ca-certificates links `/etc/ssl/certs/<name>.pem` to each `<name>.crt` of the
    package; every certificate of a file gets that file's alias (one per file in practice).
    """
    result: dict[str, bytes] = {}
    for path in sorted(certificates_by_path):
        name = path.rsplit("/", 1)[-1]
        stem = name[: -len(".crt")] if name.endswith(".crt") else name
        ders = der_certificates(certificates_by_path[path], path)
        for index, der in enumerate(ders):
            alias = f"debian:{stem}.pem" if index == 0 else f"debian:{stem}.pem_{index}"
            if alias.lower() in {a.lower() for a in result}:
                raise UserError(f"{path}: alias {alias!r} is already taken by another certificate file")
            result[alias] = der
    return result
