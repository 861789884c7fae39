"""Known output vectors: deflate and zstd bytes depend on the library, not only on our code.

If one of these fails, layers built on this machine get different digests than on
machines with the verified libraries. Do not just update the vector: find out which
library changed, and pin it (or accept that digests change, deliberately).
"""

from __future__ import annotations

import hashlib
import io
import zlib

import pytest

from tools.layer.compress import LayerOutput
from tools.layer.tests.helpers import sample_data

_INPUT_SHA256 = "8bec2c4b57aeab00"  # first 16 hex digits, guards the sample generator itself

# Checked with zlib 1.2.13 (Debian 12's zlib1g), zlib 1.3.1 (Debian 13's, loaded via
# LD_LIBRARY_PATH) and zlib 1.3.2 (the build environment's, Debian testing): all produce exactly
# these bytes. The vectors changed once, deliberately, when gzip blocks grew from 128 KiB to 1 MiB.
VERIFIED_ZLIB_VERSIONS = ("1.2.13", "1.3.1", "1.3.2")
GZIP_VECTORS = {
    1: ("sha256:67bac4f5e182a8ac7a4ee8007b743fd03040b03c59d9de9b127e562017f0a757", 369774),
    6: ("sha256:cd4022bf9b63cdf65f469534e29859c8b89f1a540b09540c425fa6835b503d87", 292429),
    9: ("sha256:1289847064690cd4343d8254ce90055d04b8106660049df13702a4f62ff36cf3", 290084),
}
# zstd's bytes depend on the libzstd bundled in the `zstandard` wheel (pinned in requirements).
ZSTD_VECTORS = {
    (1, 5, 7): ("sha256:8f5c1f6a89f4e1baeefd8466642275ea7e213c731e44256f1e207fb535264872", 305987),
}


def _sample() -> bytes:
    data = sample_data((1 << 20) + 12345, b"zlib-vector")
    assert hashlib.sha256(data).hexdigest()[:16] == _INPUT_SHA256, "the sample generator changed"
    return data


def _digest(compression: str, level: int) -> tuple[str, int]:
    out = io.BytesIO()
    output = LayerOutput(out, compression, level, 2)
    output.consume(memoryview(_sample()))
    descriptor = output.finish()
    return descriptor.digest, descriptor.size


@pytest.mark.parametrize("level", sorted(GZIP_VECTORS))
def test_deflate_vector(level):
    got = _digest("gzip", level)
    assert got == GZIP_VECTORS[level], (
        f"zlib {zlib.ZLIB_RUNTIME_VERSION} (compiled against {zlib.ZLIB_VERSION}) produces different "
        f"deflate bytes at level {level} than zlib {' and '.join(VERIFIED_ZLIB_VERSIONS)}: gzip layers "
        f"built here will not match other machines' digests. Got {got}, expected {GZIP_VECTORS[level]}."
    )


def test_zstd_vector():
    zstandard = pytest.importorskip("zstandard")
    expected = ZSTD_VECTORS.get(zstandard.ZSTD_VERSION)
    if expected is None:
        pytest.fail(
            f"libzstd {zstandard.ZSTD_VERSION} (zstandard {zstandard.__version__}) has no recorded vector; "
            f"known: {sorted(ZSTD_VECTORS)}. Check whether its output matches and record it."
        )
    got = _digest("zstd", 3)
    assert got == expected, (
        f"libzstd {zstandard.ZSTD_VERSION} now produces different bytes at level 3: zstd layers will not "
        f"match digests made with the recorded version. Got {got}, expected {expected}."
    )
