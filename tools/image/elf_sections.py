"""An ELF file's sections by name, with the sha256 of each one's bytes, to say which differ."""

from __future__ import annotations

import hashlib
import struct

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SHT_NOBITS = 8


def sections(data: bytes) -> list[tuple[str, int, str]] | None:
    """[(name, size, sha256 of content)] in file order, or None if `data` is not a 64-bit
    little-endian ELF file with a section table we can read."""
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    try:
        fields = _EHDR.unpack_from(data, 0)
        shoff, shentsize, shnum, shstrndx = fields[6], fields[11], fields[12], fields[13]
        if not shoff or shentsize != _SHDR.size:
            return None
        headers = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        names = headers[shstrndx]
        strtab = data[names[4]: names[4] + names[5]]
        result = []
        for h in headers:
            end = strtab.find(b"\0", h[0])
            name = strtab[h[0]: end].decode("utf-8", errors="replace")
            content = b"" if h[1] == _SHT_NOBITS else data[h[4]: h[4] + h[5]]
            result.append((name, h[5], hashlib.sha256(content).hexdigest()))
        return result
    except (IndexError, struct.error):
        return None
