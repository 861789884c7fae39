"""sha256, the one hash of the project: the pattern its values must match, and computing them.

Two spellings: a bare lowercase hex string (Debian indexes, locks, caches) and an OCI digest
`sha256:<hex>` (descriptors, manifests, release manifests). Standard library only: the layer
writer, which runs on any Python 3.9+, imports this too.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Union

from tools.common.errors import UserError

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
PREFIX = "sha256:"
_CHUNK = 1 << 20


def is_sha256_hex(value: Any) -> bool:
    """True for 64 lowercase hex digits (nothing before or after, not even a newline)."""
    return isinstance(value, str) and SHA256_HEX.fullmatch(value) is not None


def check_digest(value: Any, where: str) -> str:
    """Returns `value` if it is a `sha256:<64 lowercase hex>` digest, else fails naming `where`."""
    if not isinstance(value, str) or not DIGEST.fullmatch(value):
        raise UserError(f"{where}: digest {str(value)[:100]!r} is not of the form sha256:<64 lowercase hex digits>")
    return value


def digest_hex(digest: str) -> str:
    """`sha256:<hex>` -> `<hex>` (the blob's file name in a layout)."""
    return digest[len(PREFIX):] if digest.startswith(PREFIX) else digest


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return PREFIX + hashlib.sha256(data).hexdigest()


def file_sha256_hex(path: Union[str, "os.PathLike[str]"]) -> str:
    """Hex sha256 of a file, read in 1 MiB pieces (memory does not grow with the file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: Union[str, "os.PathLike[str]"]) -> str:
    """`sha256:<hex>` of a file."""
    return PREFIX + file_sha256_hex(path)
