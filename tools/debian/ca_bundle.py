"""The CA bundle that ca-certificates' maintainer script would have generated.

The `ca-certificates` package ships individual certificates under
/usr/share/ca-certificates/; its postinst runs update-ca-certificates, which writes
/etc/ssl/certs/ca-certificates.crt. Layers are made without running maintainer scripts, so the
repacker reproduces this one effect (as distroless does): every `*.crt` of the package,
ordered by path, concatenated, each ending in a newline. Per-certificate hash links in
/etc/ssl/certs are not made; OpenSSL, Python and Java read the bundle.
"""

from __future__ import annotations

import os

from tools.common.errors import UserError
from tools.layer import tar_reader

PACKAGE = "ca-certificates"
BUNDLE_PATH = "etc/ssl/certs/ca-certificates.crt"
_CERT_DIR = "usr/share/ca-certificates/"


def certificates_from_data_tar(data_tar: str, what: str) -> dict[str, bytes]:
    """The package's `*.crt` files by path; `data_tar` is the package's data member, read by the
    layer writer's own tar reader (any compression it reads)."""
    certificates: dict[str, bytes] = {}
    spool = tar_reader.Spool(os.path.dirname(os.path.abspath(data_tar)))
    try:
        data, members = tar_reader.read_members(data_tar, spool)
        try:
            for member in members:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if member.kind == tar_reader.FILE and name.startswith(_CERT_DIR) and name.endswith(".crt"):
                    data.seek(member.offset)
                    certificates[name] = data.read(member.size)
        finally:
            if not spool.owns(data):
                data.close()
    except UserError as e:
        raise UserError(f"{what}: cannot read certificates: {e}") from None
    finally:
        spool.close()
    if not certificates:
        raise UserError(f"{what}: no certificates under /{_CERT_DIR}; is this really {PACKAGE}?")
    return certificates


def bundle(certificates: dict[str, bytes]) -> bytes:
    """The certificates concatenated in path order, each ending in a newline."""
    parts = []
    for name in sorted(certificates):
        data = certificates[name]
        parts.append(data if data.endswith(b"\n") else data + b"\n")
    return b"".join(parts)
