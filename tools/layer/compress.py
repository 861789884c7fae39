"""Compresses the tar stream in one pass while hashing both sides; output bytes never depend on threads.

gzip: a pigz-style parallel deflate. The stream is cut into fixed 1 MiB blocks
(larger than pigz's 128 KiB: priming each block with a dictionary costs less);
each block is a raw deflate stream primed with the previous block's last 32 KiB
as dictionary and ended with Z_SYNC_FLUSH (the last one with Z_FINISH), so the
concatenation is one valid deflate stream. Every block's bytes are a function of
that block and its predecessor only, so any number of worker threads yields the
same bytes; zlib releases the GIL, so the threads really run in parallel. At most
`2 * threads + 2` blocks are in flight, which keeps memory flat. The header is
fixed: magic, CM=8, FLG=0 (no name, no comment), MTIME=0, XFL=0, OS=255
("unknown", so the producing OS does not leak in). Deflate bytes depend on the
zlib implementation (see tests/test_zlib_vectors.py).

zstd: the `zstandard` package in multi-threaded mode, always (threads >= 1): zstd's
multi-threaded output is identical for every worker count but differs from its
single-threaded mode, so single-threaded mode is never used. No checksum (the
layer digest already protects the bytes), no content size (unknown when
streaming), no dictionary id.

none: the tar itself; its digest is its diff_id.

Pipeline: the caller's thread only builds the tar stream. Hashing the tar and feeding the
encoder run in one background thread, hashing and writing the output in another, with bounded
queues between them, so reading inputs, hashing, compressing and writing overlap (hashlib, zlib
and file writes release the GIL). The order of bytes never depends on this: each stage handles
its pieces strictly in stream order.
"""

from __future__ import annotations

import collections
import hashlib
import os
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO, Deque, Optional

from tools.common.errors import UserError
from tools.layer.decompress import GZIP_MAGIC
from tools.layer.descriptor import MEDIA_TYPES, LayerDescriptor
from tools.layer.pipeline import Stage

COMPRESSIONS = ("gzip", "zstd", "none")
DEFAULT_LEVELS = {"gzip": 6, "zstd": 3}
LEVEL_RANGES = {"gzip": (0, 9), "zstd": (1, 22)}

GZIP_BLOCK_SIZE = 1 << 20
GZIP_DICT_SIZE = 32 << 10
# magic, CM=8 (deflate), FLG=0, MTIME=0, XFL=0, OS=255 (unknown).
GZIP_HEADER = GZIP_MAGIC + b"\x08\x00\x00\x00\x00\x00\x00\xff"


def available_cpus() -> int:
    """CPUs this process may run on (the default thread count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Output:
    """Writes to `out` sequentially (a pipe is fine) from a stage of its own, counting and
    optionally hashing."""

    def __init__(self, out: BinaryIO, hashed: bool) -> None:
        self._out = out
        self.sha256 = hashlib.sha256() if hashed else None
        self.size = 0
        self._stage = Stage(self._write_now, "layer-output")

    def _write_now(self, data: bytes) -> None:
        if self.sha256 is not None:
            self.sha256.update(data)
        # A raw file or pipe may take fewer bytes than offered; buffered files take them all.
        view = memoryview(data)
        while view:
            written = self._out.write(view)
            if written is None:
                raise UserError("the layer output is non-blocking and refused data; write to a blocking file or pipe")
            view = view[written:]

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        self._stage.put(data)

    def close(self) -> None:
        self._stage.close()


class _Encoder:
    def feed(self, data: memoryview) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        pass


class _PlainEncoder(_Encoder):
    def __init__(self, out: _Output) -> None:
        self._out = out

    def feed(self, data: memoryview) -> None:
        self._out.write(data)  # type: ignore[arg-type]

    def finish(self) -> None:
        pass


def deflate_block(level: int, block: memoryview, zdict: Optional[memoryview], final: bool) -> bytes:
    """One block of the parallel gzip stream: raw deflate, primed with `zdict`, byte-aligned end."""
    if zdict is None:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    return compressor.compress(block) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


class _GzipEncoder(_Encoder):
    """Parallel deflate; the bytes depend only on the input stream, not on how it is fed."""

    def __init__(self, out: _Output, level: int, threads: int) -> None:
        self._out = out
        self._level = level
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="deflate")
        self._in_flight: Deque[Future[bytes]] = collections.deque()
        self._max_in_flight = 2 * threads + 2
        self._carry = bytearray()  # start of a block that is not full yet
        self._pending: Optional[memoryview] = None  # newest full block; it may turn out to be the last
        self._dictionary: Optional[memoryview] = None  # last 32 KiB before `_pending`
        self._crc = 0
        self._length = 0
        out.write(GZIP_HEADER)

    def feed(self, data: memoryview) -> None:
        self._crc = zlib.crc32(data, self._crc)
        self._length += len(data)
        if self._carry:
            take = min(len(data), GZIP_BLOCK_SIZE - len(self._carry))
            self._carry += data[:take]
            data = data[take:]
            if len(self._carry) < GZIP_BLOCK_SIZE:
                return
            self._block(memoryview(self._carry))
            self._carry = bytearray()
        while len(data) >= GZIP_BLOCK_SIZE:
            self._block(data[:GZIP_BLOCK_SIZE])
            data = data[GZIP_BLOCK_SIZE:]
        if data:
            self._carry = bytearray(data)

    def _block(self, block: memoryview) -> None:
        if self._pending is not None:
            self._submit(self._pending, self._dictionary, final=False)
            self._dictionary = self._pending[-GZIP_DICT_SIZE:]
        self._pending = block

    def _submit(self, block: memoryview, zdict: Optional[memoryview], final: bool) -> None:
        while len(self._in_flight) >= self._max_in_flight:
            self._out.write(self._in_flight.popleft().result())
        self._in_flight.append(self._pool.submit(deflate_block, self._level, block, zdict, final))

    def finish(self) -> None:
        if self._carry:
            self._block(memoryview(self._carry))
            self._carry = bytearray()
        last = self._pending if self._pending is not None else memoryview(b"")
        self._submit(last, self._dictionary, final=True)
        while self._in_flight:
            self._out.write(self._in_flight.popleft().result())
        self._out.write(self._crc.to_bytes(4, "little") + (self._length & 0xFFFFFFFF).to_bytes(4, "little"))
        self._pool.shutdown(wait=True)

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _ZstdEncoder(_Encoder):
    def __init__(self, out: _Output, level: int, threads: int) -> None:
        try:
            import zstandard  # optional dependency: only zstd layers need it
        except ImportError:
            raise UserError("zstd compression needs the 'zstandard' Python package") from None
        self._zstandard = zstandard
        params = zstandard.ZstdCompressionParameters.from_level(
            level, threads=threads, write_checksum=False, write_content_size=False, write_dict_id=False
        )
        self._compressor = zstandard.ZstdCompressor(compression_params=params).compressobj()
        self._out = out

    def feed(self, data: memoryview) -> None:
        self._out.write(self._compressor.compress(data))

    def finish(self) -> None:
        self._out.write(self._compressor.flush(self._zstandard.COMPRESSOBJ_FLUSH_FINISH))


def resolve_settings(compression: str, level: Optional[int], threads: Optional[int]) -> tuple[int, int]:
    """Validated (level, threads) with defaults filled in; level is 0 for "none"."""
    if compression not in COMPRESSIONS:
        raise UserError(f"unknown compression {compression!r}; use one of {', '.join(COMPRESSIONS)}")
    if threads is None:
        threads = available_cpus()
    if threads < 1:
        raise UserError(f"threads must be at least 1, got {threads}")
    if compression == "none":
        if level is not None:
            raise UserError("a compression level makes no sense with compression 'none'")
        return 0, threads
    if level is None:
        level = DEFAULT_LEVELS[compression]
    low, high = LEVEL_RANGES[compression]
    if not low <= level <= high:
        raise UserError(f"{compression} level must be between {low} and {high}, got {level}")
    return level, threads


class LayerOutput:
    """Consumes the uncompressed tar in chunks: hashes it (diff_id), compresses, hashes and writes."""

    def __init__(self, out: BinaryIO, compression: str = "gzip", level: Optional[int] = None,
                 threads: Optional[int] = None) -> None:
        level, threads = resolve_settings(compression, level, threads)
        self._compression = compression
        self._diff = hashlib.sha256()
        # Uncompressed output is the tar itself: its digest is the diff_id, hashed once.
        self._out = _Output(out, hashed=compression != "none")
        self._encoder: _Encoder
        if compression == "gzip":
            self._encoder = _GzipEncoder(self._out, level, threads)
        elif compression == "zstd":
            self._encoder = _ZstdEncoder(self._out, level, threads)
        else:
            self._encoder = _PlainEncoder(self._out)
        self._stage = Stage(self._encode, "layer-encode")

    def _encode(self, chunk: memoryview) -> None:
        self._diff.update(chunk)
        self._encoder.feed(chunk)

    def consume(self, chunk: memoryview) -> None:
        """Takes one piece of the tar stream; the caller never modifies it afterwards."""
        self._stage.put(chunk)

    def finish(self) -> LayerDescriptor:
        self._stage.close()
        self._encoder.finish()
        self._out.close()
        diff_id = "sha256:" + self._diff.hexdigest()
        digest = diff_id if self._out.sha256 is None else "sha256:" + self._out.sha256.hexdigest()
        return LayerDescriptor(MEDIA_TYPES[self._compression], digest, self._out.size, diff_id)

    def abort(self) -> None:
        """Stops the pipeline after a failure; the partial output must be discarded."""
        for close in (self._stage.close, self._encoder.abort, self._out.close):
            try:
                close()
            except BaseException:  # the failure that made us abort is the one to report
                pass
