"""Test support: a test issuer (RSA and P-256 keys, a JWKS) minting Confidential Space-shaped
attestation tokens, signed for real with `cryptography`."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://confidentialcomputing.googleapis.com"
AUDIENCE = "https://verifier.example/fcp"
NOW = 1_900_000_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _n(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Issuer:
    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())

    def jwks(self, path: Path) -> Path:
        r, e = self.rsa.public_key().public_numbers(), self.ec.public_key().public_numbers()
        keys = [{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "n": _n(r.n), "e": _n(r.e)},
                {"kty": "EC", "kid": "ec-1", "alg": "ES256", "crv": "P-256", "x": _n(e.x), "y": _n(e.y)}]
        path.write_text(json.dumps({"keys": keys}))
        return path

    def token(self, claims: dict[str, Any], alg: str = "RS256", kid: str | None = None) -> str:
        header = {"alg": alg, "kid": kid or ("rsa-1" if alg == "RS256" else "ec-1"), "typ": "JWT"}
        signed = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        if alg == "RS256":
            signature = self.rsa.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.ec.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signed}.{_b64(signature)}"


def claims(image_digest: str, **changes: Any) -> dict[str, Any]:
    container = {"image_reference": "registry.example/fcp/collector:latest", "image_digest": image_digest,
                 "restart_policy": "Never", "env_override": {"FCP_OPTS": "--port 8080"},
                 "env": {"FCP_OPTS": "--port 8080"}, "args": []}
    container.update(changes.pop("container", {}))
    value = {"iss": ISSUER, "aud": AUDIENCE, "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 3540,
             "sub": "https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/i",
             "swname": "CONFIDENTIAL_SPACE", "swversion": ["250300"], "dbgstat": "disabled-since-boot",
             "hwmodel": "GCP_AMD_SEV", "secboot": True,
             "submods": {"confidential_space": {"support_attributes": ["LATEST", "STABLE", "USABLE"]},
                         "container": container}}
    value.update(changes)
    return value
