"""Appraising attestation tokens signed by a test key against the committed release manifest:
each case gets its verdict in one line, through the library and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.verify import appraisal, jwt, reference
from tools.verify.tests import tokens

EXPECTED = "e2e/expected_hashes.json"
VERIFY = Path(__file__).parents[1] / "verify.py"


@pytest.fixture(scope="module")
def issuer():
    return tokens.Issuer()


@pytest.fixture(scope="module")
def setup(issuer, tmp_path_factory):
    jwks = issuer.jwks(tmp_path_factory.mktemp("jwks") / "jwks.json")
    ref = reference.load(EXPECTED)
    return jwt.load_jwks(str(jwks)), ref, jwks


def _digest(service):
    with open(EXPECTED) as f:
        return json.load(f)[service]


def appraise(setup, token, **kwargs):
    keys, ref, _ = setup
    return appraisal.appraise(token, keys, ref, tokens.AUDIENCE, tokens.NOW, **kwargs)


def test_well_formed(setup, issuer):
    verdict = appraise(setup, issuer.token(tokens.claims(_digest("collector"))))
    assert verdict.accepted and verdict.service == "collector"
    assert verdict.line.startswith(f"ACCEPT collector: attested image {_digest('collector')} is collector's "
                                   f"expected digest in {EXPECTED} (signed RS256 by key rsa-1;")
    assert "restart_policy Never" in verdict.line and "env overrides FCP_OPTS" in verdict.line


def test_es256_is_accepted_too(setup, issuer):
    assert appraise(setup, issuer.token(tokens.claims(_digest("task_builder")), alg="ES256")).service == "task_builder"


def test_expired(setup, issuer):
    token = issuer.token(tokens.claims(_digest("collector"), exp=tokens.NOW - 3600, iat=tokens.NOW - 7200,
                                       nbf=tokens.NOW - 7200))
    verdict = appraise(setup, token)
    assert not verdict.accepted and verdict.line.startswith("REJECT: expired at ")


def test_wrong_audience(setup, issuer):
    verdict = appraise(setup, issuer.token(tokens.claims(_digest("collector"), aud="https://sts.googleapis.com")))
    assert verdict.line == ("REJECT: audience 'https://sts.googleapis.com' is not the expected "
                            f"'{tokens.AUDIENCE}'")


def test_debug_enabled(setup, issuer):
    verdict = appraise(setup, issuer.token(tokens.claims(_digest("collector"), dbgstat="enabled")))
    assert verdict.line.startswith("REJECT: debug image (dbgstat 'enabled'")
    assert appraise(setup, issuer.token(tokens.claims(_digest("collector"), dbgstat="enabled")),
                    allow_debug=True).accepted


def test_digest_not_in_the_manifest(setup, issuer):
    digest = "sha256:" + "ab" * 32
    verdict = appraise(setup, issuer.token(tokens.claims(digest)))
    assert verdict.line == f"REJECT: attested image {digest} matches no service of {EXPECTED}"


def test_bad_signature(setup, issuer):
    token = issuer.token(tokens.claims(_digest("collector")))
    head, body, signature = token.split(".")
    forged = tokens._b64(json.dumps(tokens.claims(_digest("task_builder"))).encode())
    verdict = appraise(setup, f"{head}.{forged}.{signature}")
    assert verdict.line == "REJECT: bad signature: no RS256 key 'rsa-1' of the JWKS verifies it"
    other = tokens.Issuer().token(tokens.claims(_digest("collector")))
    assert appraise(setup, other).line.startswith("REJECT: bad signature")


def test_alg_none_and_unknown_kid(setup, issuer):
    token = issuer.token(tokens.claims(_digest("collector")))
    none_header = tokens._b64(json.dumps({"alg": "none"}).encode())
    assert appraise(setup, f"{none_header}.{token.split('.')[1]}.").line.startswith(
        "REJECT: signature algorithm 'none' is not accepted")
    assert appraise(setup, issuer.token(tokens.claims(_digest("collector")), kid="other")).line == \
        "REJECT: no RS256 key with kid 'other' in the JWKS"


def test_wrong_issuer_and_software(setup, issuer):
    assert appraise(setup, issuer.token(tokens.claims(_digest("collector"), iss="https://evil.example"))).line == \
        f"REJECT: issuer 'https://evil.example' is not {tokens.ISSUER}"
    assert appraise(setup, issuer.token(tokens.claims(_digest("collector"), swname="GCE"))).line.startswith(
        "REJECT: swname 'GCE' is not CONFIDENTIAL_SPACE")


def test_launch_policy_fields(setup, issuer):
    token = issuer.token(tokens.claims(_digest("collector"), container={"env_override": {"JAVA_TOOL_OPTIONS": "-x"}}))
    assert appraise(setup, token).line == ("REJECT: collector: env override of JAVA_TOOL_OPTIONS outside its launch "
                                           "policy (allow_env_override: FCP_OPTS)")
    token = issuer.token(tokens.claims(_digest("collector"), container={"cmd_override": ["sh"]}))
    assert appraise(setup, token).line == "REJECT: collector: CMD overridden but its launch policy does not allow it"
    token = issuer.token(tokens.claims(_digest("collector"), container={"restart_policy": "Always"}))
    assert appraise(setup, token).accepted
    assert appraise(setup, token, restart_policy="Never").line == \
        "REJECT: collector: restart_policy 'Always' is not the required 'Never'"
    token = issuer.token(tokens.claims(_digest("collector"), container={"image_id": "sha256:" + "cd" * 32}))
    assert appraise(setup, token).line.startswith("REJECT: collector: image_id sha256:cdcd")


def test_the_cli_prints_the_verdict_in_one_line(setup, issuer, tmp_path):
    _, _, jwks = setup
    cases = {
        "good": (issuer.token(tokens.claims(_digest("collector"))), 0, "ACCEPT collector"),
        "expired": (issuer.token(tokens.claims(_digest("collector"), exp=tokens.NOW - 100)), 1, "REJECT: expired"),
    }
    for name, (token, code, start) in cases.items():
        path = tmp_path / f"{name}.jwt"
        path.write_text(token + "\n")
        result = subprocess.run([sys.executable, str(VERIFY), "appraise", f"--token={path}", f"--jwks={jwks}",
                                 f"--audience={tokens.AUDIENCE}", f"--now={tokens.NOW}", f"--expected={EXPECTED}"],
                                capture_output=True, text=True, env={**os.environ})
        assert result.returncode == code, result.stderr
        assert result.stdout.count("\n") == 1 and result.stdout.startswith(start)
    result = subprocess.run([sys.executable, str(VERIFY), "appraise", f"--token={tmp_path}/missing.jwt",
                             f"--jwks={jwks}", f"--audience={tokens.AUDIENCE}"], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.startswith("verify: error: cannot read the token")
