"""Which locked wheel an installed `.dist-info` came from.

rules_python installs each wheel into its own repository and keeps the `.whl` there, but an
image holds only the installed files. The wheel is the one of the given `.whl` files whose own
`<name>-<version>.dist-info/METADATA` is byte for byte the installed one; its sha256 must be
listed by one of the requirement locks.
"""

from __future__ import annotations

import dataclasses
import os
import re
import zipfile
from typing import Sequence

from tools.common.errors import UserError
from tools.evidence import locks


@dataclasses.dataclass(frozen=True)
class Wheel:
    name: str  # as METADATA spells it
    version: str
    file_name: str
    sha256: str
    lock: locks.LockRef | None  # the requirement lock listing its sha256


def metadata_fields(data: bytes, where: str) -> tuple[str, str]:
    """(Name, Version) of a METADATA file (RFC 822 headers)."""
    name = version = None
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key.lower() == "name":
            name = value.strip()
        elif key.lower() == "version":
            version = value.strip()
    if not name or not version:
        raise UserError(f"{where} has no Name and Version headers; it is not a wheel's METADATA")
    return name, version


def _wheel_prefix(name: str, version: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower() + "-" + version + "-"


def find_wheel(metadata_path: str, wheels: Sequence[str], pip_locks: Sequence[tuple[str, str]]) -> Wheel:
    """The wheel `metadata_path` (an installed METADATA) came from."""
    try:
        with open(metadata_path, "rb") as f:
            installed = f.read()
    except OSError as e:
        raise UserError(f"cannot read {metadata_path}: {e.strerror}") from None
    name, version = metadata_fields(installed, metadata_path)
    prefix = _wheel_prefix(name, version)
    for path in sorted(wheels):
        base = os.path.basename(path)
        if not (base.lower().startswith(prefix) and base.endswith(".whl")):
            continue
        try:
            with zipfile.ZipFile(path) as z:
                member = next((n for n in z.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1), None)
                if member is None or z.read(member) != installed:
                    continue
        except (OSError, zipfile.BadZipFile) as e:
            raise UserError(f"cannot read wheel {path}: {e}") from None
        sha256 = locks.file_sha256(path)
        lock = None
        for label, lock_path in pip_locks:
            if sha256 in locks.pip_hashes(lock_path).get((locks.normalize_pypi(name), version), ()):
                lock = locks.LockRef(label, locks.file_sha256(lock_path), "pip")
                break
        return Wheel(name, version, base, sha256, lock)
    raise UserError(f"no wheel given for {name} {version} (installed at {metadata_path}); add the pip hub's "
                    "all_whl_requirements to //toolchains/python:wheels")
