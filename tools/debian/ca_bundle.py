"""The CA bundle that ca-certificates' maintainer script would have generated.

The `ca-certificates` package ships individual certificates under
/usr/share/ca-certificates/; its postinst runs update-ca-certificates, which writes
/etc/ssl/certs/ca-certificates.crt. Layers are made without running maintainer scripts, so the
repacker reproduces this one effect (as distroless does): every `*.crt` of the package,
ordered by path, concatenated, each ending in a newline. Per-certificate hash links in
/etc/ssl/certs are not made; OpenSSL, Python and Java read the bundle.
"""

from __future__ import annotations

import tarfile

from tools.common.errors import UserError

PACKAGE = "ca-certificates"
BUNDLE_PATH = "etc/ssl/certs/ca-certificates.crt"
_CERT_DIR = "usr/share/ca-certificates/"


def bundle_from_data_tar(data_tar: str, what: str) -> bytes:
    """Concatenates the package's certificates; `data_tar` is the package's data member (any
    compression tarfile can read)."""
    certificates: dict[str, bytes] = {}
    try:
        with tarfile.open(data_tar, "r:*") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if member.isfile() and name.startswith(_CERT_DIR) and name.endswith(".crt"):
                    f = tar.extractfile(member)
                    assert f is not None
                    certificates[name] = f.read()
    except (tarfile.TarError, OSError) as e:
        raise UserError(f"{what}: cannot read certificates: {e}") from None
    if not certificates:
        raise UserError(f"{what}: no certificates under /{_CERT_DIR}; is this really {PACKAGE}?")
    parts = []
    for name in sorted(certificates):
        data = certificates[name]
        parts.append(data if data.endswith(b"\n") else data + b"\n")
    return b"".join(parts)
