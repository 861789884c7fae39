"""HTTP GET over kept-alive connections, one set per thread: a lock asks a repository for a few
hundred small files, and a TLS handshake for each would cost more than the files."""

from __future__ import annotations

import http.client
import ssl
import threading
import time
import urllib.parse
from typing import BinaryIO, Callable

USER_AGENT = "tools.maven/1 (reproducible image builds)"
DEFAULT_TIMEOUT = 60.0
_CHUNK = 1 << 20
_REDIRECTS = (301, 302, 303, 307, 308)


class NotFound(Exception):
    """HTTP 404 or 410."""

    def __init__(self, url: str):
        super().__init__(f"{url}: not found")
        self.url = url


class FetchError(Exception):
    """Any other failure: unreachable host, another status, a connection lost while reading."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class HttpClient:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT, retries: int = 2, ca_file: str | None = None):
        """`ca_file`: the CA certificates to trust (PEM) instead of the system's."""
        self.timeout = timeout
        self.retries = retries
        self._local = threading.local()
        self._context = ssl.create_default_context(cafile=ca_file)

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        if not hasattr(self._local, "connections"):
            self._local.connections = {}
        return self._local.connections

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        connections = self._connections()
        connection = connections.get((scheme, netloc))
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self._context)
            else:
                connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
            connections[(scheme, netloc)] = connection
        return connection

    def _drop(self, scheme: str, netloc: str) -> None:
        connection = self._connections().pop((scheme, netloc), None)
        if connection is not None:
            connection.close()

    def get(self, url: str, consume: Callable[[BinaryIO], None]) -> str:
        """GETs `url` (following redirects) and hands the 200 response's body to `consume`, which must
        read all of it. A connection lost while reading is retried on a fresh one, so `consume` may
        be called again: it must start over each time. Returns the final URL. Raises NotFound or
        FetchError; an OSError of `consume` itself (a full disk) propagates as it is."""
        attempt = 0
        redirects = 0
        while True:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise FetchError(url, "not an http(s) URL")
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                connection = self._connection(parts.scheme, parts.netloc)
                connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
                response = connection.getresponse()
                if response.status != 200:
                    response.read()
            except (OSError, http.client.HTTPException) as e:
                # A kept-alive connection the server has closed, or a network failure: retry on a
                # fresh connection before giving up.
                self._drop(parts.scheme, parts.netloc)
                if attempt < self.retries:
                    attempt += 1
                    continue
                raise FetchError(url, f"unreachable ({e})") from None
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                redirects += 1
                if not location or redirects > 5:
                    raise FetchError(url, f"HTTP {response.status}: bad or too many redirects")
                url = urllib.parse.urljoin(url, location)
                continue
            if response.status in (404, 410):
                raise NotFound(url)
            if response.status != 200:
                if response.status >= 500 and attempt < self.retries:
                    attempt += 1
                    time.sleep(0.5 * attempt)
                    continue
                raise FetchError(url, f"HTTP {response.status} {response.reason}")
            try:
                consume(response)
            except (ConnectionError, TimeoutError, ssl.SSLError, http.client.HTTPException) as e:
                self._drop(parts.scheme, parts.netloc)
                if attempt < self.retries:
                    attempt += 1
                    continue
                raise FetchError(url, f"connection lost while reading ({e})") from None
            finally:
                if not response.isclosed():
                    self._drop(parts.scheme, parts.netloc)
            return url

    def get_bytes(self, url: str, max_bytes: int = 64 << 20) -> bytes:
        chunks: list[bytes] = []

        def consume(response: BinaryIO) -> None:
            chunks.clear()
            total = 0
            while chunk := response.read(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError(url, f"larger than {max_bytes} bytes")
                chunks.append(chunk)

        self.get(url, consume)
        return b"".join(chunks)


def copy_stream(source: BinaryIO, out: BinaryIO, update: Callable[[bytes], None]) -> int:
    total = 0
    while chunk := source.read(_CHUNK):
        update(chunk)
        out.write(chunk)
        total += len(chunk)
    return total
