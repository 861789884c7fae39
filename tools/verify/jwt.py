"""Verifying a JWT (a compact JWS) against a JWKS: RS256, as Google signs Confidential Space
attestation tokens, and ES256. Signature first; the claims are read only once it verifies."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tools.common.errors import UserError
from tools.common.json_file import load_json

ALGORITHMS = ("RS256", "ES256")


class BadToken(Exception):
    """The token fails verification; the message is the verdict's reason."""


@dataclasses.dataclass(frozen=True)
class Key:
    kid: str | None
    alg: str  # the JWS algorithm this key verifies
    public: Any


def b64url(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken(f"the token's {what} is not base64url") from None


def _int(value: Any, where: str) -> int:
    if not isinstance(value, str):
        raise UserError(f"{where} is not a base64url string")
    try:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")
    except (binascii.Error, ValueError):
        raise UserError(f"{where} is not base64url") from None


def load_jwks(path: str) -> list[Key]:
    """The RSA and P-256 keys of a JWKS file ({"keys": [...]}); other keys are skipped."""
    value = load_json(path, "JWKS")
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise UserError(f"JWKS {path} must be an object with a \"keys\" list")
    keys = []
    for i, jwk in enumerate(value["keys"]):
        where = f"JWKS {path} keys[{i}]"
        if not isinstance(jwk, dict):
            raise UserError(f"{where} is not an object")
        kid = jwk.get("kid")
        if jwk.get("kty") == "RSA":
            public = rsa.RSAPublicNumbers(_int(jwk.get("e"), where + " e"), _int(jwk.get("n"), where + " n")).public_key()
            keys.append(Key(kid, jwk.get("alg", "RS256"), public))
        elif jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            numbers = ec.EllipticCurvePublicNumbers(_int(jwk.get("x"), where + " x"), _int(jwk.get("y"), where + " y"),
                                                    ec.SECP256R1())
            try:
                keys.append(Key(kid, jwk.get("alg", "ES256"), numbers.public_key()))
            except ValueError:
                raise UserError(f"{where}: the point is not on P-256") from None
    if not keys:
        raise UserError(f"JWKS {path} has no RSA or P-256 key")
    return keys


def verify(token: str, keys: list[Key]) -> tuple[dict[str, Any], dict[str, Any], Key]:
    """(header, claims, key) of a token whose signature one of `keys` verifies; else BadToken."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise BadToken("not a JWT (three base64url parts separated by dots)")
    try:
        header = json.loads(b64url(parts[0], "header"))
    except ValueError:
        raise BadToken("the token's header is not JSON") from None
    alg = header.get("alg") if isinstance(header, dict) else None
    if alg not in ALGORITHMS:
        raise BadToken(f"signature algorithm {alg!r} is not accepted (only {', '.join(ALGORITHMS)})")
    kid = header.get("kid")
    candidates = [k for k in keys if k.alg == alg and (kid is None or k.kid == kid)]
    if not candidates:
        raise BadToken(f"no {alg} key with kid {kid!r} in the JWKS")
    signed = f"{parts[0]}.{parts[1]}".encode("ascii")
    signature = b64url(parts[2], "signature")
    for key in candidates:
        try:
            if alg == "RS256":
                key.public.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            else:
                if len(signature) != 64:
                    continue
                der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
                key.public.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        try:
            claims = json.loads(b64url(parts[1], "payload"))
        except ValueError:
            raise BadToken("the token's payload is not JSON") from None
        if not isinstance(claims, dict):
            raise BadToken("the token's payload is not a JSON object")
        return header, claims, key
    raise BadToken(f"bad signature: no {alg} key{' ' + repr(kid) if kid else ''} of the JWKS verifies it")
