"""A pipeline stage: one background thread handling queued pieces strictly in order.

The layer writer overlaps reading inputs, hashing, compressing and writing with these; hashlib,
zlib and file I/O release the GIL, so the stages really run side by side. Order never changes:
each stage handles its pieces in the order they were put.
"""

from __future__ import annotations

import queue
import threading
from typing import Optional

# Pieces waiting between pipeline stages: enough to keep every stage busy, little enough that
# memory does not grow with the layer (at most a few MiB in flight).
_QUEUE_DEPTH = 8
_END = None  # end of stream marker on a queue


class Stage:
    """One background thread applying `handle` to queued pieces in order; errors surface in the
    caller's thread at the next `put` or at `close`."""

    def __init__(self, handle, name: str) -> None:
        self._handle = handle
        self._queue: queue.Queue = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._error: Optional[BaseException] = None
        self._failed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            piece = self._queue.get()
            if piece is _END:
                return
            if self._failed.is_set():
                continue  # drain, so producers never block on a dead stage
            try:
                self._handle(piece)
            except BaseException as e:  # re-raised in the caller's thread
                self._error = e
                self._failed.set()

    def put(self, piece) -> None:
        self.raise_error()
        self._queue.put(piece)

    def close(self) -> None:
        """Waits until every queued piece is handled; re-raises the first error."""
        self._queue.put(_END)
        self._thread.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error
