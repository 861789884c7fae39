"""The one place that recognises compressed data (gzip, zstd, xz, bzip2 or none) and opens it.

Everything that reads a tar whose compression it was not told goes through here: the layer
writer's input tars (`tar_reader`), the diff explainer's layer blobs (`tools/image/layer_diff`),
a .deb's control member (`tools/debian/repack`), Debian's package indexes. Standard library
only; `zstandard` is imported when a zstd stream appears, so it stays an optional dependency.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import re
import tarfile
import zlib
from typing import BinaryIO, Iterator, Optional

from tools.common.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

GZIP = "gzip"
ZSTD = "zstd"
XZ = "xz"
BZIP2 = "bzip2"
KINDS = (GZIP, ZSTD, XZ, BZIP2)

# Magic bytes long enough that a plain tar (which starts with a member name) cannot match by
# accident: a file named "BZh..." must not make a tar look like bzip2.
_MAGICS = (
    (re.compile(re.escape(GZIP_MAGIC) + rb"\x08", re.DOTALL), GZIP),
    (re.compile(rb"\xfd7zXZ\x00", re.DOTALL), XZ),
    (re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)", re.DOTALL), BZIP2),  # first block or end of stream
    (re.compile(re.escape(ZSTD_MAGIC), re.DOTALL), ZSTD),
)
MAGIC_LENGTH = 10

_CHUNK = 1 << 20


def detect(head: bytes) -> Optional[str]:
    """GZIP, XZ, BZIP2 or ZSTD from the first MAGIC_LENGTH bytes, or None for uncompressed data."""
    for magic, kind in _MAGICS:
        if magic.match(head):
            return kind
    return None


def _zstandard(what: str):  # type: ignore[no-untyped-def]
    try:
        import zstandard
    except ImportError:
        raise UserError(f"{what} is zstd-compressed; reading it needs the 'zstandard' Python package") from None
    return zstandard


def decoding_errors(kind: Optional[str] = None) -> tuple[type[BaseException], ...]:
    """What reading a stream of `kind` (default: any kind) raises when its bytes are not valid."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, lzma.LZMAError, zlib.error)
    if kind in (None, ZSTD):
        try:
            import zstandard
        except ImportError:
            return errors
        errors += (zstandard.ZstdError,)
    return errors


class _ZstdFrames(io.RawIOBase):
    """The frames of a zstd stream, decoded one after the other. A stream that stops inside a
    frame raises EOFError, as gzip, xz and bzip2 readers do (zstandard's own stream_reader then
    just returns less, or nothing)."""

    def __init__(self, raw: BinaryIO, zstandard) -> None:  # type: ignore[no-untyped-def]
        self._raw = raw
        self._zstandard = zstandard
        self._frame = None  # the decompressobj of the current frame
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        while not self._pending:
            data = self._raw.read(_CHUNK)
            if not data:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("the zstd stream ended inside a frame")
                return False
            out = []
            while data:
                if self._frame is None or self._frame.eof:
                    self._frame = self._zstandard.ZstdDecompressor().decompressobj()
                out.append(self._frame.decompress(data))
                data = self._frame.unused_data if self._frame.eof else b""
            self._pending = memoryview(b"".join(out))
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        if not self._fill():
            return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def open_stream(raw: BinaryIO, kind: Optional[str], what: str) -> BinaryIO:
    """A reader of the decompressed bytes of `raw` (raw itself when `kind` is None); multi-member
    gzip and multi-frame zstd streams are read to their end, and one that stops early raises
    EOFError."""
    if kind is None:
        return raw
    if kind == GZIP:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == XZ:
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    if kind == BZIP2:
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if kind == ZSTD:
        return io.BufferedReader(_ZstdFrames(raw, _zstandard(what)), _CHUNK)  # type: ignore[return-value]
    raise ValueError(f"unknown compression {kind!r}")


def failure(what: str, kind: Optional[str], error: BaseException) -> UserError:
    """The one-line error for compressed bytes of `what` that could not be decoded: a stream that
    ends early says it is truncated."""
    if isinstance(error, EOFError):
        return UserError(f"{what} is truncated: its {kind} data ends before the end of the stream")
    return UserError(f"{what} is not valid {kind} data: {error}")


def open_detected(raw: BinaryIO, what: str) -> tuple[BinaryIO, Optional[str]]:
    """(decompressed reader, kind) of a seekable `raw` positioned at its start."""
    start = raw.tell()
    kind = detect(raw.read(MAGIC_LENGTH))
    raw.seek(start)
    return open_stream(raw, kind, what), kind


def decompress_bytes(data: bytes, kind: Optional[str], what: str) -> bytes:
    """All of `data` decompressed; bad bytes are a UserError naming `what`."""
    try:
        with open_stream(io.BytesIO(data), kind, what) as stream:
            return stream.read()
    except decoding_errors(kind) as e:
        raise failure(what, kind, e) from None


@contextlib.contextmanager
def open_tar_stream(raw: BinaryIO, what: str) -> Iterator[tarfile.TarFile]:
    """A forward-only TarFile over `raw` (seekable, at its start), whatever its compression.

    Member names are read as UTF-8 whatever the locale (a listing must not change with LANG);
    members are forgotten as they are read only if the caller clears `TarFile.members`.
    """
    stream, _ = open_detected(raw, what)
    with contextlib.ExitStack() as stack:
        if stream is not raw:
            stack.enter_context(stream)
        yield stack.enter_context(tarfile.open(fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape"))
