"""CLI: verifying images against the release manifest and attestation tokens against it.

    verify appraise   --token FILE --jwks FILE --audience AUD [--expected e2e/expected_hashes.json]
                      [--issuer URL] [--now SECONDS] [--allow_debug] [--restart_policy Never]
    verify layouts    --layouts DIR [--built DIR] [--expected ...]
    verify provenance --envelope FILE --public_key FILE [--image_digest sha256:...]
    verify registry   --repository HOST/PREFIX [--tag latest] [--public_key FILE] [--built DIR]
                      [--ca_file PEM] [--docker_config DIR] [--plain_http] [--expected ...]

Each prints its verdict in lines starting ACCEPT/REJECT, MATCH/MISMATCH/MISSING or VALID/INVALID
and exits 0 only when everything verified. See tools/verify/README.md.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import json
import time
from typing import Sequence

from absl import flags

from tools.common.errors import UserError, run_cli
from tools.common.json_file import load_json
from tools.evidence import dsse
from tools.registry import reader
from tools.registry.errors import RegistryError
from tools.registry.reference import validate_tag
from tools.verify import appraisal, jwt, layouts, reference, registry

TOOL = "verify"
COMMANDS = ("appraise", "layouts", "provenance", "registry")
DEFAULT_EXPECTED = "e2e/expected_hashes.json"

_EXPECTED = flags.DEFINE_string("expected", None, f"The release manifest (default: {DEFAULT_EXPECTED} of the "
                                                  "checkout, or of the runfiles under bazel run).")
_TOKEN = flags.DEFINE_string("token", None, "appraise: the attestation token (a JWT) file.")
_JWKS = flags.DEFINE_string("jwks", None, "appraise: the issuer's keys (JWKS) file.")
_AUDIENCE = flags.DEFINE_string("audience", None, "appraise: the audience the token must be for.")
_ISSUER = flags.DEFINE_string("issuer", appraisal.ISSUER, "appraise: the issuer the token must come from.")
_NOW = flags.DEFINE_float("now", None, "appraise: the time to check expiry against (default: the clock).")
_ALLOW_DEBUG = flags.DEFINE_bool("allow_debug", False, "appraise: accept a debug Confidential Space image.")
_RESTART_POLICY = flags.DEFINE_string("restart_policy", None, "appraise: require this restart policy (e.g. Never).")
_LAYOUTS = flags.DEFINE_string("layouts", None, "layouts: directory of OCI layouts, DIR/<service>[_image].")
_BUILT = flags.DEFINE_string("built", None, "layouts, registry: directory of locally built layouts to explain "
                             "mismatches with (DIR/<service>[_image], up to three levels down: bazel-bin/shuffler/services).")
_ENVELOPE = flags.DEFINE_string("envelope", None, "provenance: the signed DSSE envelope.")
_PUBLIC_KEY = flags.DEFINE_string("public_key", None, "provenance, registry: the signer's public key (PEM or DER).")
_IMAGE_DIGEST = flags.DEFINE_string("image_digest", None, "provenance: the image digest the subject must be.")
_REPOSITORY = flags.DEFINE_string("repository", None, "registry: HOST[:PORT]/PREFIX the services are published "
                                  "under, as HOST[:PORT]/PREFIX/<service> (image_publish's naming).")
_TAG = flags.DEFINE_string("tag", "latest", "registry: the tag of each service's image to check.")
_CA_FILE = flags.DEFINE_string("ca_file", None, "registry: PEM CA bundle trusted besides the system's.")
_DOCKER_CONFIG = flags.DEFINE_string("docker_config", None, "registry: directory holding config.json (default "
                                     "$DOCKER_CONFIG, else ~/.docker).")
_PLAIN_HTTP = flags.DEFINE_bool("plain_http", False, "registry: plain HTTP, to a loopback registry only.")


def _need(*holders: flags.FlagHolder) -> None:
    for holder in holders:
        if holder.value is None:
            raise UserError(f"--{holder.name} is required")


def _expected() -> reference.Reference:
    path = _EXPECTED.value
    if path is None:
        path = DEFAULT_EXPECTED if os.path.isfile(DEFAULT_EXPECTED) else os.path.join(
            os.environ.get("RUNFILES_DIR", ""), "_main", DEFAULT_EXPECTED)
    return reference.load(path)


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise UserError(f"cannot read the {what} {path}: {e.strerror}") from None


def appraise() -> int:
    _need(_TOKEN, _JWKS, _AUDIENCE)
    verdict = appraisal.appraise(
        _read_text(_TOKEN.value, "token"), jwt.load_jwks(_JWKS.value), _expected(), _AUDIENCE.value,
        time.time() if _NOW.value is None else _NOW.value, issuer=_ISSUER.value,
        allow_debug=_ALLOW_DEBUG.value, restart_policy=_RESTART_POLICY.value)
    print(verdict.line)
    return 0 if verdict.accepted else 1


def check_layouts() -> int:
    _need(_LAYOUTS)
    if not os.path.isdir(_LAYOUTS.value):
        raise UserError(f"--layouts {_LAYOUTS.value} is not a directory")
    built = layouts.LayoutDirectory(_BUILT.value) if _BUILT.value else None
    lines, ok = layouts.verify(_expected(), layouts.LayoutDirectory(_LAYOUTS.value), built)
    print("\n".join(lines))
    return 0 if ok else 1


def provenance() -> int:
    _need(_ENVELOPE, _PUBLIC_KEY)
    envelope = load_json(_ENVELOPE.value, "DSSE envelope")
    public = dsse.load_public_key(_PUBLIC_KEY.value)
    try:
        payload = dsse.verify(envelope, public, _ENVELOPE.value)
    except UserError as e:
        print(f"INVALID: {e}")
        return 1
    try:
        statement = json.loads(payload)
        subject = statement["subject"][0]
        digest = "sha256:" + subject["digest"]["sha256"]
    except (ValueError, KeyError, IndexError, TypeError):
        print(f"INVALID: {_ENVELOPE.value}: the signed payload is not an in-toto statement with a subject")
        return 1
    if _IMAGE_DIGEST.value and digest != _IMAGE_DIGEST.value:
        print(f"INVALID: {_ENVELOPE.value} is signed but its subject is {digest}, not {_IMAGE_DIGEST.value}")
        return 1
    print(f"VALID: {_ENVELOPE.value} signed by key {dsse.keyid(public)}; subject {subject.get('name')} {digest}")
    return 0


def check_registry() -> int:
    _need(_REPOSITORY)
    expected = _expected()  # bad input first, before any connection
    public = dsse.load_public_key(_PUBLIC_KEY.value) if _PUBLIC_KEY.value else None
    built = layouts.LayoutDirectory(_BUILT.value) if _BUILT.value else None
    if _BUILT.value and not os.path.isdir(_BUILT.value):
        raise UserError(f"--built {_BUILT.value} is not a directory")
    access = reader.Access(ca_file=_CA_FILE.value, docker_config=_DOCKER_CONFIG.value, plain_http=_PLAIN_HTTP.value)
    try:
        session = reader.Reader(access, log=lambda message: print(f"{TOOL}: {message}", file=sys.stderr))
    except RegistryError as e:
        raise UserError(f"{_REPOSITORY.value}: {e}") from None
    with session:
        source = registry.RegistrySource(_REPOSITORY.value, validate_tag(_TAG.value), session)
        try:
            lines, ok = layouts.verify(expected, source, built,
                                       lambda service, digest: source.evidence(service, digest, public))
        finally:
            source.close()
    print("\n".join(lines))
    return 0 if ok else 1


def main(argv: Sequence[str]) -> int:
    # Under `bazel run`, paths on the command line are relative to where the user stands.
    os.chdir(os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    if len(argv) != 2 or argv[1] not in COMMANDS:
        got = repr(" ".join(argv[1:])) if len(argv) > 1 else "none"
        raise UserError(f"expected one command of {', '.join(COMMANDS)}, got {got}: verify COMMAND --flags... (see --help)")
    command = argv[1]
    if command == "appraise":
        return appraise()
    if command == "layouts":
        return check_layouts()
    if command == "provenance":
        return provenance()
    return check_registry()


if __name__ == "__main__":
    run_cli(TOOL, main, positional=True)
