"""CLI: signs a DSSE envelope (an image's provenance) with an ed25519 or ECDSA P-256 key file.

    sign.py --envelope IMAGE.intoto.json --key KEY.pem [--key_password_file F] --output SIGNED.json

Run by `bazel run <image>_provenance -- --key KEY.pem --output FILE`. Prints the output path and
the key's id (sha256 of its public key), never anything of the key itself. ed25519 signatures
are deterministic; ECDSA ones are not (a fresh nonce each time), and verify all the same.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Sequence

from absl import flags

from tools.common import atomic, canonical_json
from tools.common.errors import UserError, run_cli
from tools.common.json_file import load_json
from tools.evidence import dsse

TOOL = "sign"

_ENVELOPE = flags.DEFINE_string("envelope", None, "The DSSE envelope to sign.")
_KEY = flags.DEFINE_string("key", None, "The private key: ed25519 or ECDSA P-256, PEM or DER.")
_KEY_PASSWORD_FILE = flags.DEFINE_string("key_password_file", None, "A file holding the key's password.")
_OUTPUT = flags.DEFINE_string("output", None, "The signed envelope to write.")


def main(argv: Sequence[str]) -> int:
    # Under `bazel run`, paths on the command line are relative to where the user stands.
    os.chdir(os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    for flag in (_ENVELOPE, _KEY, _OUTPUT):
        if not flag.value:
            raise UserError(f"--{flag.name} is required")
    password = None
    if _KEY_PASSWORD_FILE.value:
        try:
            with open(_KEY_PASSWORD_FILE.value, "rb") as f:
                password = f.read().rstrip(b"\r\n")
        except OSError as e:
            raise UserError(f"cannot read the password file {_KEY_PASSWORD_FILE.value}: {e.strerror}") from None
    key = dsse.load_private_key(_KEY.value, password)
    envelope = load_json(_ENVELOPE.value, "DSSE envelope")
    signed = dsse.sign(envelope, key, _ENVELOPE.value)
    with atomic.atomic_binary_output(_OUTPUT.value) as out:
        out.write(canonical_json.dumps(signed))
    print(f"signed {_OUTPUT.value} with key {dsse.keyid(key.public_key())}")
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
