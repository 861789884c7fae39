"""DSSE envelopes (the in-toto attestation framework's signature wrapper): pre-authentication
encoding, signing with an ed25519 or ECDSA P-256 key read from a file, and verification.

Key material never reaches a message or an output: errors name the file and what is wrong with
it, and a signature names its key only by `keyid`, the sha256 of the public key's DER
(SubjectPublicKeyInfo) encoding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, Union

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tools.common.errors import UserError
from tools.common.files import read_bytes

PAYLOAD_TYPE = "application/vnd.in-toto+json"

PrivateKey = Union[ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey]
PublicKey = Union[ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey]


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSEv1 pre-authentication encoding: what is signed."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def envelope(payload: bytes, payload_type: str = PAYLOAD_TYPE) -> dict[str, Any]:
    """An unsigned envelope."""
    return {"payloadType": payload_type, "payload": base64.b64encode(payload).decode("ascii"), "signatures": []}


def payload_of(env: Any, where: str) -> bytes:
    if not isinstance(env, dict) or not isinstance(env.get("payload"), str) or not isinstance(env.get("payloadType"), str):
        raise UserError(f"{where} is not a DSSE envelope (payload and payloadType strings)")
    try:
        return base64.b64decode(env["payload"], validate=True)
    except (binascii.Error, ValueError):
        raise UserError(f"{where}: the payload is not base64") from None


def _check_key(key: Any, path: str, what: str) -> Any:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return key
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise UserError(f"{what} {path} is neither an ed25519 nor an ECDSA P-256 key")


def load_private_key(path: str, password: bytes | None = None) -> PrivateKey:
    """An ed25519 or ECDSA P-256 private key from a PEM (PKCS#8, SEC1) or DER file."""
    data = read_bytes(path, "signing key")
    for loader in (serialization.load_pem_private_key, serialization.load_der_private_key):
        try:
            return _check_key(loader(data, password=password), path, "signing key")
        except TypeError:
            raise UserError(f"signing key {path} is encrypted: give its password (--key_password_file)") from None
        except (ValueError, UnsupportedAlgorithm):
            continue
    raise UserError(f"signing key {path} is not a PEM or DER private key (or its password is wrong)")


def load_public_key(path: str) -> PublicKey:
    """An ed25519 or ECDSA P-256 public key (PEM or DER SubjectPublicKeyInfo)."""
    data = read_bytes(path, "public key")
    for loader in (serialization.load_pem_public_key, serialization.load_der_public_key):
        try:
            return _check_key(loader(data), path, "public key")
        except (ValueError, UnsupportedAlgorithm):
            continue
    raise UserError(f"public key {path} is not a PEM or DER public key")


def keyid(public: PublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def sign(env: dict[str, Any], key: PrivateKey, where: str = "the envelope") -> dict[str, Any]:
    """`env` with one more signature, by `key` (ECDSA signatures are DER, as sigstore writes them).

    Both kinds are deterministic: ed25519 by design, ECDSA with RFC 6979 nonces (derived from the
    key and the message, not drawn at random), so the same key signs the same statement to the
    same bytes and a published signed provenance is reproducible too. Verifiers see ordinary
    ECDSA signatures.
    """
    message = pae(env.get("payloadType", ""), payload_of(env, where))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(message)
    else:
        signature = key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    signed = dict(env)
    signed["signatures"] = list(env.get("signatures") or []) + [
        {"keyid": keyid(key.public_key()), "sig": base64.b64encode(signature).decode("ascii")}]
    return signed


def verify(env: Any, public: PublicKey, where: str) -> bytes:
    """The payload of `env` if one of its signatures is `public`'s; else a UserError saying why."""
    payload = payload_of(env, where)
    signatures = env.get("signatures") or []
    if not signatures:
        raise UserError(f"{where} is not signed")
    wanted = keyid(public)
    message = pae(env["payloadType"], payload)
    for item in signatures:
        if not isinstance(item, dict) or item.get("keyid") not in (None, "", wanted):
            continue
        try:
            signature = base64.b64decode(item.get("sig", ""), validate=True)
            if isinstance(public, ed25519.Ed25519PublicKey):
                public.verify(signature, message)
            else:
                public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            return payload
        except (InvalidSignature, binascii.Error, ValueError):
            continue
    raise UserError(f"{where}: no signature verifies with the public key (keyid {wanted[:16]}...)")
