"""Reading a JSON file that a user may have got wrong: every failure is one UserError line.

The messages name the file and, for syntax errors, only the position: a parser's message can
quote the offending text, and some of our JSON files (a Docker config) hold secrets.
"""

from __future__ import annotations

import json
from typing import Any

from tools.common.errors import UserError

# Everything we read as JSON (specs, locks, manifests, configs) is small; a larger file is not one.
MAX_SIZE = 64 << 20


def load_json(path: str, what: str) -> Any:
    """The JSON value in `path`; `what` names the file's role in messages ("layer descriptor")."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SIZE + 1)
    except FileNotFoundError:
        raise UserError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"{what} {path} is a directory, not a JSON file") from None
    except OSError as e:
        raise UserError(f"cannot read {what} {path}: {e.strerror}") from None
    return parse_json(data, path, what)


def parse_json(data: bytes, path: str, what: str) -> Any:
    """The JSON value in `data`, read from `path`; errors as for `load_json`."""
    if len(data) > MAX_SIZE:
        raise UserError(f"{what} {path} is larger than {MAX_SIZE} bytes; it is not a JSON document")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{what} {path} is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{what} {path} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
