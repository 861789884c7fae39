"""Reading a whole small input file (a key, an SBOM) with the one-line error every tool gives."""

from __future__ import annotations

from tools.common.errors import UserError


def read_bytes(path: str, what: str, error: type[Exception] = UserError) -> bytes:
    """The bytes of `path`; if it cannot be read, `error("cannot read the <what> <path>: <reason>")`.

    `error` lets a module keep its own error type (the registry client's RegistryError, which its
    callers turn into "push to ... failed: ...").
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise error(f"cannot read the {what} {path}: {e.strerror}") from None
