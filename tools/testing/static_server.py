"""A real HTTP server on 127.0.0.1 serving a directory, for tests of the tools that download."""

from __future__ import annotations

import contextlib
import functools
import http.server
import ssl
import threading
from typing import Iterator


class _Handler(http.server.SimpleHTTPRequestHandler):
    # Headers and body go out in separate writes; with Nagle's algorithm the body waits for the
    # client's delayed ACK (40 ms a request on a kept-alive connection).
    disable_nagle_algorithm = True

    def __init__(self, *args, requests: list[str] | None, **kwargs):
        self._requests = requests
        super().__init__(*args, **kwargs)

    def send_head(self):
        if self._requests is not None:
            self._requests.append(self.path)
        return super().send_head()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature fixed by http.server
        pass


@contextlib.contextmanager
def serve(root: str, *, requests: list[str] | None = None, keep_alive: bool = False,
          tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serves `root` on 127.0.0.1; yields the base URL (with trailing slash).

    `requests`, when given, receives the path of every GET in order. `keep_alive` answers in
    HTTP/1.1 with persistent connections (the default is HTTP/1.0: one request per connection).
    `tls` (a server context, see tools/testing/pki.py) serves https.
    """
    handler_class = type("Handler", (_Handler,), {"protocol_version": "HTTP/1.1" if keep_alive else "HTTP/1.0"})
    handler = functools.partial(handler_class, directory=root, requests=requests)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
