"""The appraisal step of RATS (RFC 9334) for a Confidential Space attestation token.

Google's attestation service is the Verifier: it appraised the TEE's evidence and issued the
token, an Attestation Result. Here, as the Relying Party, we appraise that result against our
reference values, the release manifest: the token must be signed by the issuer's key, be for us
(audience), be current, come from Confidential Space's production image, and attest an image
whose digest is one of ours, launched within that image's launch policy. The verdict is one line.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from tools.image import launch_policy
from tools.verify import jwt
from tools.verify.reference import Reference

ISSUER = "https://confidentialcomputing.googleapis.com"
SWNAME = "CONFIDENTIAL_SPACE"
PRODUCTION = "disabled-since-boot"
# Tokens are minted for an hour; allow for clocks that disagree a little.
LEEWAY_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class Verdict:
    accepted: bool
    line: str
    service: str | None = None


def _time(value: Any) -> str:
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reject(reason: str) -> Verdict:
    return Verdict(False, f"REJECT: {reason}")


def appraise(token: str, keys: list[jwt.Key], reference: Reference, audience: str, now: float,
             issuer: str = ISSUER, allow_debug: bool = False, restart_policy: str | None = None) -> Verdict:
    try:
        header, claims, key = jwt.verify(token, keys)
    except jwt.BadToken as e:
        return _reject(str(e))
    if claims.get("iss") != issuer:
        return _reject(f"issuer {claims.get('iss')!r} is not {issuer}")
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences if isinstance(audiences, list) else []
    if audience not in audiences:
        return _reject(f"audience {claims.get('aud')!r} is not the expected {audience!r}")
    for field in ("exp", "iat"):
        if not isinstance(claims.get(field), (int, float)) or isinstance(claims.get(field), bool):
            return _reject(f"the token has no numeric {field} claim")
    if now > claims["exp"] + LEEWAY_SECONDS:
        return _reject(f"expired at {_time(claims['exp'])} (now {_time(now)})")
    not_before = claims.get("nbf", claims["iat"])
    if isinstance(not_before, (int, float)) and now + LEEWAY_SECONDS < not_before:
        return _reject(f"not valid before {_time(not_before)} (now {_time(now)})")
    if claims.get("swname") != SWNAME:
        return _reject(f"swname {claims.get('swname')!r} is not {SWNAME}: not a Confidential Space workload")
    if claims.get("dbgstat") != PRODUCTION and not allow_debug:
        return _reject(f"debug image (dbgstat {claims.get('dbgstat')!r}, production is {PRODUCTION!r}): "
                       "the operator can read and change the workload")
    submods = claims.get("submods") if isinstance(claims.get("submods"), dict) else {}
    container = submods.get("container") if isinstance(submods.get("container"), dict) else {}
    digest = container.get("image_digest")
    if not isinstance(digest, str):
        return _reject("the token has no submods.container.image_digest")
    service = reference.service_of(digest)
    if service is None:
        return _reject(f"attested image {digest} matches no service of {reference.path}")
    described = reference.config_of(service)
    labels: dict[str, str] = {}
    if described is not None:
        config_digest, config = described
        image_id = container.get("image_id")
        if isinstance(image_id, str) and image_id != config_digest:
            return _reject(f"{service}: image_id {image_id} is not its config {config_digest}")
        labels = (config.get("config") or {}).get("Labels") or {}
    policy = launch_policy.policy(labels)
    overrides = container.get("env_override") or {}
    if not isinstance(overrides, dict):
        return _reject("submods.container.env_override is not an object")
    refused = sorted(name for name in overrides if name not in policy.env_override)
    if refused:
        return _reject(f"{service}: env override of {', '.join(refused)} outside its launch policy "
                       f"(allow_env_override: {','.join(policy.env_override) or 'none'})")
    if container.get("cmd_override") and not policy.cmd_override:
        return _reject(f"{service}: CMD overridden but its launch policy does not allow it")
    restart = container.get("restart_policy")
    if restart_policy is not None and restart != restart_policy:
        return _reject(f"{service}: restart_policy {restart!r} is not the required {restart_policy!r}")
    details = [f"restart_policy {restart or 'unset'}",
               f"env overrides {','.join(sorted(overrides)) or 'none'}"]
    if claims.get("dbgstat") != PRODUCTION:
        details.insert(0, "DEBUG image allowed by --allow_debug")
    return Verdict(True, f"ACCEPT {service}: attested image {digest} is {service}'s expected digest in "
                         f"{reference.path} (signed {header['alg']} by key {key.kid or '?'}; {'; '.join(details)})",
                   service)
