"""Normalization of paths inside a layer: one spelling per path, nothing outside the root."""

from __future__ import annotations

from tools.common.errors import UserError


def normalize(path: str, what: str, *, allow_empty: bool = False) -> str:
    """Returns `path` relative to the layer root without "./", "//", "/./" or a trailing "/".

    `what` names the input for error messages (e.g. "tar 'x.tar' member './a'").
    Absolute paths and ".." components are rejected: a layer entry must stay inside
    the image's root no matter where the layer is unpacked.
    """
    if "\0" in path:
        raise UserError(f"{what}: path {path!r} contains a NUL byte")
    if path.startswith("/"):
        raise UserError(f"{what}: path {path!r} is absolute; layer paths are relative to the image root")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UserError(f"{what}: path {path!r} contains a '..' component")
    normalized = "/".join(parts)
    if not normalized and not allow_empty:
        raise UserError(f"{what}: path {path!r} names the layer root; give a path below it")
    check_utf8(normalized, what)
    return normalized


def check_utf8(text: str, what: str) -> bytes:
    """UTF-8 bytes of `text`; names that are not valid UTF-8 (surrogate escapes) are rejected."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"{what}: {text!r} is not valid UTF-8; layer names must be UTF-8") from None


def join(prefix: str, path: str) -> str:
    """`prefix/path` for already-normalized parts, either of which may be empty."""
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix + "/" + path


def parents(path: str) -> list[str]:
    """The proper ancestors of a normalized path, outermost first ("a/b/c" -> ["a", "a/b"])."""
    result = []
    index = path.find("/")
    while index != -1:
        result.append(path[:index])
        index = path.find("/", index + 1)
    return result


def sort_key(path: str) -> bytes:
    """Entries are ordered by their UTF-8 bytes, never by locale or Unicode code point rules."""
    return path.encode("utf-8")
