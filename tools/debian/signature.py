"""OpenPGP authentication of InRelease files with `gpgv` and a pinned keyring.

Only the text that gpgv reports as signed is returned (gpgv --output), never
the clear-signed file itself: anything an attacker puts before the
"BEGIN PGP SIGNED MESSAGE" line or after the signature block is not part of
the signed data, and files with such extra content are rejected outright.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from tools.common.digest import file_sha256_hex
from tools.common.errors import UserError

_BEGIN_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
_BEGIN_SIG = b"-----BEGIN PGP SIGNATURE-----"
_END_SIG = b"-----END PGP SIGNATURE-----"


def check_keyring(path: str, expected_sha256: str, *, manifest: str = "the manifest") -> None:
    """Refuses a keyring whose bytes are not the ones the manifest pinned."""
    try:
        actual = file_sha256_hex(path)
    except OSError as e:
        raise UserError(f"cannot read keyring {path} named by {manifest}: {e.strerror}") from None
    if actual != expected_sha256:
        raise UserError(
            f"keyring {path} has sha256 {actual} but {manifest} pins keyring_sha256 = \"{expected_sha256}\"; "
            "if the keyring change is intended, review it and update keyring_sha256"
        )


def _check_structure(data: bytes, source: str) -> None:
    """A clear-signed file must be exactly one signed message and one signature block."""
    lines = data.split(b"\n")
    stripped = [line.rstrip(b"\r\t ") for line in lines]
    first = next((i for i, line in enumerate(stripped) if line), None)
    if first is None or stripped[first] != _BEGIN_SIGNED:
        raise UserError(f"{source}: not a clear-signed InRelease file (no '{_BEGIN_SIGNED.decode()}' at the start)")
    if stripped.count(_BEGIN_SIGNED) != 1 or stripped.count(_BEGIN_SIG) != 1 or stripped.count(_END_SIG) != 1:
        raise UserError(f"{source}: InRelease must hold exactly one signed message and one signature block")
    end = stripped.index(_END_SIG)
    if stripped.index(_BEGIN_SIG) > end or any(stripped[end + 1 :]):
        raise UserError(f"{source}: InRelease has content outside its signature block")


def _good_signers(status: str) -> tuple[list[str], list[str]]:
    """Parses gpgv's --status-fd output into (valid signer fingerprints, problems).

    A signature counts only with both GOODSIG and VALIDSIG; expired or revoked
    keys (EXPKEYSIG, REVKEYSIG) and bad signatures never count. Signatures by
    keys that are not in the keyring (NO_PUBKEY) are ignored, the way apt does,
    because Debian signs with several keys at once.
    """
    good: list[str] = []
    problems: list[str] = []
    blocks: list[list[list[str]]] = []
    for line in status.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0] != "[GNUPG:]":
            continue
        if parts[1] == "NEWSIG" or not blocks:
            blocks.append([])
        blocks[-1].append(parts[1:])
    for block in blocks:
        kinds = {p[0] for p in block}
        if "BADSIG" in kinds:
            problems.append("BAD signature (the signed text was modified or the signature is corrupt)")
        elif "EXPKEYSIG" in kinds or "REVKEYSIG" in kinds or "EXPSIG" in kinds:
            problems.append("signature by an expired or revoked key")
        elif "GOODSIG" in kinds:
            valid = [p for p in block if p[0] == "VALIDSIG" and len(p) > 1]
            if valid:
                good.append(valid[0][1])
        elif "NO_PUBKEY" in kinds or "ERRSIG" in kinds:
            keyids = [p[1] for p in block if p[0] in ("NO_PUBKEY", "ERRSIG") and len(p) > 1]
            problems.append(f"signature by key {keyids[0] if keyids else '?'} which is not in the keyring")
    return good, problems


def verify_clearsigned(data: bytes, keyring: str, *, source: str) -> bytes:
    """Verifies an InRelease with `gpgv --keyring <keyring>`; returns only the signed text.

    Raises UserError (naming `source`) unless at least one signature made by a
    key in `keyring` is good and no signature is bad.
    """
    _check_structure(data, source)
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise UserError("gpgv not found on PATH; install the 'gpgv' package to authenticate Debian indexes")
    with tempfile.TemporaryDirectory(prefix="deb-gpgv-") as home:
        os.chmod(home, 0o700)
        signed = os.path.join(home, "InRelease")
        plain = os.path.join(home, "signed.txt")
        with open(signed, "wb") as f:
            f.write(data)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "GNUPGHOME": home}
        proc = subprocess.run(
            [gpgv, "--homedir", home, "--keyring", os.path.abspath(keyring), "--status-fd", "1",
             "--output", plain, signed],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            check=False,
        )
        status = proc.stdout.decode("utf-8", "replace")
        good, problems = _good_signers(status)
        if not good or any(p.startswith("BAD") for p in problems):
            reason = "; ".join(problems) if problems else (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no signature"])[-1]
            raise UserError(f"{source}: OpenPGP signature verification failed against {keyring}: {reason}")
        try:
            with open(plain, "rb") as f:
                return f.read()
        except OSError:
            raise UserError(f"{source}: gpgv accepted the signature but produced no signed text") from None
