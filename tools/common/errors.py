"""The one error type our tools raise for bad input, and how a tool reports it.

A user who feeds a tool bad input gets one line naming the file and the fix,
never a traceback: tools raise `UserError` and their `main` runs through
`run_cli`, which prints `<tool>: error: <message>` and exits with status 1.
"""

from __future__ import annotations

import sys
from typing import Callable, NoReturn, Sequence


class UserError(Exception):
    """An error caused by input the user can fix; the message says how."""


def run_cli(tool: str, main: Callable[[Sequence[str]], int | None], argv: Sequence[str]) -> NoReturn:
    """Runs `main(argv)`; turns UserError and interrupted pipes into one-line errors."""
    try:
        code = main(argv)
    except UserError as e:
        print(f"{tool}: error: {e}", file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{tool}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
