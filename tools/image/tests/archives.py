"""Test support: small real archives (a class file, a jar) for the explainer's tests."""

from __future__ import annotations

import io
import struct
import zipfile


def class_bytes(name: str, extra: bytes = b"") -> bytes:
    """A minimal class file: magic, version 61 (Java 17), a constant pool naming `name`."""
    utf8 = name.replace(".", "/").encode()
    pool = b"\x01" + struct.pack(">H", len(utf8)) + utf8 + b"\x07" + struct.pack(">H", 1)
    pool += b"\x01" + struct.pack(">H", len(extra)) + extra
    return (b"\xca\xfe\xba\xbe" + struct.pack(">HH", 0, 61) + struct.pack(">H", 4) + pool
            + struct.pack(">HHHHHHH", 0x21, 2, 0, 0, 0, 0, 0))


def jar(entries: list[tuple[str, bytes]], date=(2010, 1, 1, 0, 0, 0), method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date)
            info.compress_type = method
            z.writestr(info, data)
    return out.getvalue()
