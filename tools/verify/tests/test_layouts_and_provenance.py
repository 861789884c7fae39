"""verify layouts: MATCH for images equal to the manifest, MISMATCH explained (deep, against a
local build) for one rebuilt with one changed class and for a planted wrong digest; verify
provenance: a signed envelope verifies with the public key and fails after a one-byte change."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tools.evidence import dsse
from tools.image.tests.archives import class_bytes, jar
from tools.image.tests.fixtures import Entry, build_image, write_layer

TOOLS = Path(__file__).parents[2]
VERIFY = TOOLS / "verify" / "verify.py"
SIGN = TOOLS / "evidence" / "sign.py"


def run(script, *args):
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ})


def _image(root: Path, name: str, greeting: bytes) -> str:
    base = write_layer(root / "in", "base", [Entry("etc/motd", b"hi\n")])
    app = write_layer(root / "in", name, [Entry("app/app.jar", jar([
        ("org/example/Greeting.class", class_bytes("org.example.Greeting", greeting))]))])
    return build_image(root / name, [base, app], entrypoint=["/app/run"])


def test_match_and_explained_mismatches(tmp_path):
    built, pulled = tmp_path / "built", tmp_path / "pulled"
    expected = {"alpha": _image(built, "alpha", b"a"), "beta": _image(built, "beta", b"b"),
                "gamma": _image(built, "gamma", b"c")}
    _image(pulled, "alpha", b"a")
    _image(pulled, "beta", b"B")  # one changed class
    _image(pulled, "gamma", b"c")
    expected["gamma"] = "sha256:" + "0" * 64  # a planted wrong digest
    manifest = tmp_path / "expected_hashes.json"
    manifest.write_text(json.dumps(expected))
    result = run(VERIFY, "layouts", f"--layouts={pulled}", f"--built={built}", f"--expected={manifest}")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"MATCH alpha {expected['alpha']}"
    assert lines[1].startswith("MISMATCH beta: sha256:") and f"expected {expected['beta']}" in lines[1]
    beta = "\n".join(lines[2:lines.index(next(l for l in lines if l.startswith("MISMATCH gamma")))])
    assert "first differing entry (in path order): app/app.jar" in beta
    assert "inside app/app.jar (jar): first differing entry org/example/Greeting.class" in beta
    assert "class org.example.Greeting" in beta
    gamma = next(l for l in lines if l.startswith("MISMATCH gamma"))
    assert "expected sha256:" + "0" * 64 in gamma
    (pulled / "alpha").rename(pulled / "alpha_gone")
    result = run(VERIFY, "layouts", f"--layouts={pulled}", f"--expected={manifest}")
    assert result.stdout.splitlines()[0] == f"MISSING alpha: no image in {pulled}"


def _keys(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    private, public = tmp_path / f"{kind}.pem", tmp_path / f"{kind}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256"])
def test_signed_envelope_verifies_and_fails_after_one_byte(tmp_path, kind):
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
                 "subject": [{"name": "app", "digest": {"sha256": "ab" * 32}}], "predicate": {}}
    unsigned = tmp_path / "app.intoto.json"
    unsigned.write_text(json.dumps(dsse.envelope(json.dumps(statement).encode())))
    private, public = _keys(tmp_path, kind)
    signed = tmp_path / "signed.json"
    result = run(SIGN, f"--envelope={unsigned}", f"--key={private}", f"--output={signed}")
    assert result.returncode == 0, result.stderr
    assert "PRIVATE" not in result.stdout + result.stderr and private.read_text() not in result.stdout
    # Signing again gives the same bytes (ECDSA with RFC 6979 nonces): a signed provenance reproduces.
    again = tmp_path / "again.json"
    assert run(SIGN, f"--envelope={unsigned}", f"--key={private}", f"--output={again}").returncode == 0
    assert again.read_bytes() == signed.read_bytes()
    ok = run(VERIFY, "provenance", f"--envelope={signed}", f"--public_key={public}", "--image_digest=sha256:" + "ab" * 32)
    assert ok.returncode == 0 and ok.stdout.startswith(f"VALID: {signed} signed by key ")
    assert run(VERIFY, "provenance", f"--envelope={signed}", f"--public_key={public}",
               "--image_digest=sha256:" + "cd" * 32).stdout.startswith("INVALID: ")
    # One byte of the signed statement changed (and re-encoded, so the envelope still parses).
    envelope = json.loads(signed.read_text())
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[payload.index(b"ab")] ^= 0x01
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(envelope))
    bad = run(VERIFY, "provenance", f"--envelope={tampered}", f"--public_key={public}")
    assert bad.returncode == 1 and bad.stdout.startswith("INVALID: ") and "no signature verifies" in bad.stdout
    # One byte of the file itself changed, in the signature.
    raw = bytearray(signed.read_bytes())
    at = raw.index(b'"sig":"') + 10
    raw[at] = ord("A") if raw[at] != ord("A") else ord("B")
    tampered.write_bytes(bytes(raw))
    assert run(VERIFY, "provenance", f"--envelope={tampered}", f"--public_key={public}").returncode == 1
    other_private, other_public = _keys(tmp_path / "..", kind)
    assert run(VERIFY, "provenance", f"--envelope={signed}", f"--public_key={other_public}").returncode == 1


def test_unsigned_and_wrong_keys_are_one_line(tmp_path):
    unsigned = tmp_path / "u.json"
    unsigned.write_text(json.dumps(dsse.envelope(b"{}")))
    _, public = _keys(tmp_path, "ed25519")
    result = run(VERIFY, "provenance", f"--envelope={unsigned}", f"--public_key={public}")
    assert result.stdout == f"INVALID: {unsigned} is not signed\n"
    from cryptography.hazmat.primitives.asymmetric import rsa
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    result = run(SIGN, f"--envelope={unsigned}", f"--key={rsa_key}", f"--output={tmp_path}/s.json")
    assert result.returncode == 1 and result.stderr == \
        f"sign: error: signing key {rsa_key} is neither an ed25519 nor an ECDSA P-256 key\n"
