"""Write-to-temporary-then-rename, so a failed tool never leaves a half-written output."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from typing import BinaryIO, Iterator, TextIO

from tools.common.errors import UserError


def check_replaceable(path: str | os.PathLike[str]) -> None:
    """Fails unless `path` can take a new file by rename: its directory exists, and it is absent or
    a regular file. Renaming over a device, FIFO or symlink (think /dev/stdout) would replace it."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UserError(f"output directory {directory!r} (for {path!r}) does not exist")
    if os.path.lexists(path) and not (os.path.isfile(path) and not os.path.islink(path)):
        raise UserError(f"output {path!r} exists and is not a regular file; refusing to replace it")


@contextlib.contextmanager
def atomic_binary_output(path: str | os.PathLike[str], mode: int = 0o644) -> Iterator[BinaryIO]:
    """Yields a file in the destination's directory; renames it over `path` on success.

    On any exception the temporary file is removed and `path` is left untouched. A file system
    that fills up (or a quota) is a UserError naming `path`: the usual cause, and the user's to fix.
    """
    path = os.fspath(path)
    check_replaceable(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UserError(f"cannot write {path}: no space left on its file system ({os.strerror(e.errno)}); "
                            "free some space there or write it elsewhere") from None
        raise


@contextlib.contextmanager
def atomic_text_output(path: str | os.PathLike[str], mode: int = 0o644) -> Iterator[TextIO]:
    """Text variant of `atomic_binary_output` (UTF-8, "\\n" line endings on every platform)."""
    with atomic_binary_output(path, mode) as raw:
        with open(raw.fileno(), "w", encoding="utf-8", newline="\n", closefd=False) as text:
            yield text
            text.flush()


@contextlib.contextmanager
def atomic_directory_output(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yields a fresh temporary directory beside `path`; it replaces `path` on success."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=parent)
    try:
        yield tmp
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
