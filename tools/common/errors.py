"""The one error type our tools raise for bad input, and the one way a tool starts and reports it.

A user who feeds a tool bad input gets one line naming the file and the fix, never a traceback.
Every tool has the same shape:

    TOOL = "layer_writer"
    _SPEC = flags.DEFINE_string("spec", None, "...")      # absl flag holders

    def main(argv: Sequence[str]) -> int:
        ...                                                  # raises UserError on bad input

    if __name__ == "__main__":
        run_cli(TOOL, main)

`run_cli` parses the flags (a bad flag is a one-line error too) and runs `main`, which prints
`<tool>: error: <message>` and exits with status 1 for a UserError.
"""

from __future__ import annotations

import sys
from typing import Callable, NoReturn, Optional, Sequence

Main = Callable[[Sequence[str]], Optional[int]]


class UserError(Exception):
    """An error caused by input the user can fix; the message says how."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _fail(tool: str, message: object) -> NoReturn:
    print(f"{tool}: error: {_one_line(message)}", file=sys.stderr)
    sys.exit(1)


def run_cli(tool: str, main: Main, argv: Optional[Sequence[str]] = None, *, positional: bool = False) -> NoReturn:
    """Parses the absl flags of `argv` (default sys.argv), then runs `main` like `run_main`.

    A tool takes its inputs as flags; `positional=True` lets `main` see further arguments
    (argv[0] is the program), otherwise they are an error.
    """
    # Imported here: the layer writer's stdlib-only test driver uses run_main on Pythons
    # without absl-py.
    from absl import app, flags

    def parse(args: list[str]) -> list[str]:
        try:
            return flags.FLAGS(args)
        except flags.Error as e:
            _fail(tool, f"{e} (see --help)")

    def run(args: list[str]) -> None:
        if not positional and len(args) > 1:
            _fail(tool, f"unexpected arguments {' '.join(args[1:])!r}; every input is a --flag (see --help)")
        run_main(tool, main, args)

    app.run(run, argv=list(sys.argv if argv is None else argv), flags_parser=parse)
    raise AssertionError("absl.app.run returned")  # pragma: no cover


def run_main(tool: str, main: Main, argv: Sequence[str]) -> NoReturn:
    """Runs `main(argv)`; turns UserError, OSError and interrupted pipes into one-line errors and exits."""
    try:
        code = main(argv)
    except UserError as e:
        _fail(tool, e)
    except BrokenPipeError:
        sys.exit(1)
    except OSError as e:
        # Local I/O no input check can foresee (a full disk, a file that vanished): one line too.
        _fail(tool, f"cannot read or write {e.filename or 'a file'}: {e.strerror or e}")
    except KeyboardInterrupt:
        print(f"{tool}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
