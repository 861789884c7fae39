"""The few facts of a Java class file that say what it is: its name and class file version."""

from __future__ import annotations

import struct

_TAGS_SIZE = {1: None, 3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4,
              18: 4, 19: 2, 20: 2}


def class_name(data: bytes) -> str | None:
    """`org.example.Foo` of a class file, or None if `data` is not one we can read."""
    if len(data) < 10 or data[:4] != b"\xca\xfe\xba\xbe":
        return None
    try:
        count = struct.unpack_from(">H", data, 8)[0]
        offset = 10
        utf8: dict[int, str] = {}
        classes: dict[int, int] = {}
        index = 1
        while index < count:
            tag = data[offset]
            if tag == 1:
                length = struct.unpack_from(">H", data, offset + 1)[0]
                utf8[index] = data[offset + 3: offset + 3 + length].decode("utf-8", errors="replace")
                offset += 3 + length
            elif tag in _TAGS_SIZE:
                if tag == 7:
                    classes[index] = struct.unpack_from(">H", data, offset + 1)[0]
                offset += 1 + _TAGS_SIZE[tag]  # type: ignore[operator]
                index += 1 if tag not in (5, 6) else 2
                continue
            else:
                return None
            index += 1
        this_class = struct.unpack_from(">H", data, offset + 2)[0]
        return utf8[classes[this_class]].replace("/", ".")
    except (IndexError, KeyError, struct.error):
        return None


def version(data: bytes) -> str | None:
    """`major.minor` of a class file (61.0 is Java 17)."""
    if len(data) < 8 or data[:4] != b"\xca\xfe\xba\xbe":
        return None
    minor, major = struct.unpack_from(">HH", data, 4)
    return f"{major}.{minor}"
