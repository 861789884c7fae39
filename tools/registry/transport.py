"""HTTP(S) for the registry client: verified TLS, a plain-HTTP policy, streamed request bodies.

One keep-alive connection per origin. Request bodies are streamed from disk in fixed-size pieces,
so memory does not grow with blob size. Responses are small (errors, tokens, manifests) and read
whole, up to a bound, except a successful answer given a `sink` (a blob being pulled), which is
handed to it in the same pieces.

A request is sent once: a connection that fails is reported (TransientError) and the client's one
retry loop decides what to do again. Resending here would be wrong for a blob upload: the
registry may already hold part of the body, and the session is then broken
(BLOB_UPLOAD_INVALID). A kept-alive connection the server has closed meanwhile is recognised
before it is used and replaced, so an idle timeout costs no retry.
"""

from __future__ import annotations

import dataclasses
import http.client
import os
import select
import socket
import ssl
import urllib.parse
from typing import Callable, Iterator, Mapping, Protocol

from tools.registry.errors import RegistryError, TransientError
from tools.registry.reference import is_loopback

USER_AGENT = "reproimage-image-publish/1.0"
_READ_BLOCK = 1 << 20
_MAX_RESPONSE_BYTES = 32 << 20  # manifests are capped at 4 MiB by registries; anything bigger is wrong


class Body(Protocol):
    length: int

    def chunks(self) -> Iterator[bytes]:
        """A fresh pass over the content; called again when a request is resent."""
        ...


@dataclasses.dataclass(frozen=True)
class BytesBody:
    data: bytes

    @property
    def length(self) -> int:
        return len(self.data)

    def chunks(self) -> Iterator[bytes]:
        yield self.data


@dataclasses.dataclass(frozen=True)
class FileSectionBody:
    """`length` bytes of `path` from `offset`, read in 1 MiB pieces."""

    path: str
    offset: int
    length: int

    def chunks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            remaining = self.length
            while remaining:
                piece = f.read(min(_READ_BLOCK, remaining))
                if not piece:
                    raise RegistryError(f"{self.path}: file shrank while it was being uploaded")
                remaining -= len(piece)
                yield piece


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclasses.dataclass(frozen=True)
class TransportOptions:
    ca_file: str | None = None
    plain_http: bool = False  # speak HTTP to the registry (loopback only unless allow_insecure_http)
    allow_insecure_http: bool = False  # permit plain HTTP to any host
    timeout: float = 300.0


def build_ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """The system trust store (verification and hostname checks on), plus `ca_file` if given."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except FileNotFoundError:
            raise RegistryError(f"--ca_file={ca_file}: no such file") from None
        except (ssl.SSLError, OSError) as e:
            raise RegistryError(f"--ca_file={ca_file}: not a readable PEM CA bundle ({_short(e)})") from None
    return context


def _short(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return " ".join(text.split())[:300]


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"unsupported URL {url!r} (expected http:// or https://)")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise RegistryError(f"invalid port in URL {url!r}") from None
    return scheme, parts.hostname.lower(), port


def display_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _SinkFailed(Exception):
    """The sink (a local file) failed: its error is the caller's, not the network's, so no retry."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _BodyInterrupted(Exception):
    """The connection failed while the request body was being sent, and no answer came."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _reusable(conn: http.client.HTTPConnection) -> bool:
    """False when the server closed the kept-alive connection (or sent what nobody asked for):
    an idle socket that is readable has reached its end."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return False
    return not readable


class Transport:
    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self._ssl = build_ssl_context(options.ca_file)
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self.body_bytes_sent = 0  # request body bytes handed to the network, every attempt counted

    def scheme_for(self, hostname: str) -> str:
        """The scheme to reach the registry at `hostname`, enforcing the plain-HTTP policy."""
        if not self.options.plain_http:
            return "https"
        self.check_plain_http_allowed(hostname)
        return "http"

    def check_plain_http_allowed(self, hostname: str) -> None:
        if self.options.allow_insecure_http:
            return
        if not is_loopback(hostname):
            raise RegistryError(
                f"refusing plain HTTP to {hostname}: it is not a loopback address, so credentials and "
                "images would cross the network unprotected; use HTTPS (--ca_file for a private CA), "
                "or pass --plain_http --allow_insecure_http if you really mean it"
            )
        if not self.options.plain_http:
            raise RegistryError(
                f"refusing plain HTTP to {hostname}: pass --plain_http to use HTTP with a loopback registry"
            )

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def _connection(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        conn = self._connections.get(origin)
        if conn is not None:
            if _reusable(conn):
                return conn
            self._drop(origin)
        scheme, host, port = origin
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.options.timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.options.timeout)
        self._connections[origin] = conn
        return conn

    def _drop(self, origin: tuple[str, str, int]) -> None:
        conn = self._connections.pop(origin, None)
        if conn is not None:
            conn.close()

    def send(self, method: str, url: str, headers: Mapping[str, str], body: Body | None = None,
             sink: Callable[[bytes], None] | None = None) -> Response:
        """Sends one request; raises TransientError/RegistryError for connection-level failures.

        With `sink`, a 200 answer's body goes to it piece by piece (the Response's body is empty)."""
        origin = origin_of(url)
        scheme, host, port = origin
        if scheme == "http":
            self.check_plain_http_allowed(host)
        parts = urllib.parse.urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn = self._connection(origin)
        where = display_host(host, port)
        try:
            return self._exchange(conn, method, target, url, headers, body, sink)
        except _SinkFailed as e:
            self._drop(origin)
            raise e.cause from None
        except _BodyInterrupted as e:
            self._drop(origin)
            raise TransientError(f"connection to {where} lost while sending the request body ({_short(e.cause)})") from None
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as e:
            self._drop(origin)
            raise TransientError(f"connection to {where} lost before an answer ({_short(e)})") from None
        except ssl.SSLCertVerificationError as e:
            self._drop(origin)
            raise RegistryError(
                f"TLS certificate verification failed for {where} ({e.verify_message or _short(e)}): if the "
                "registry uses a private CA, pass --ca_file=<CA bundle in PEM>"
            ) from None
        except ssl.SSLError as e:
            self._drop(origin)
            hint = ""
            if "WRONG_VERSION_NUMBER" in str(e) or "record layer failure" in str(e):
                hint = ": the server may be speaking plain HTTP (for a loopback registry pass --plain_http)"
            raise RegistryError(f"TLS handshake with {where} failed ({_short(e)}){hint}") from None
        except ConnectionRefusedError:
            self._drop(origin)
            raise TransientError(
                f"cannot connect to {where}: connection refused (is the registry running and is the port right?)"
            ) from None
        except socket.gaierror as e:
            self._drop(origin)
            raise RegistryError(f"cannot resolve host {host!r} ({_short(e)})") from None
        except (TimeoutError, socket.timeout):
            self._drop(origin)
            raise TransientError(f"timed out after {self.options.timeout:g}s talking to {where}") from None
        except (OSError, http.client.HTTPException) as e:
            self._drop(origin)
            raise TransientError(f"connection to {where} failed ({_short(e)})") from None

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        url: str,
        headers: Mapping[str, str],
        body: Body | None,
        sink: Callable[[bytes], None] | None = None,
    ) -> Response:
        conn.putrequest(method, target, skip_accept_encoding=True)
        if not any(name.lower() == "user-agent" for name in headers):
            conn.putheader("User-Agent", USER_AGENT)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(body.length))
        elif method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", "0")
        conn.endheaders()
        if body is not None:
            try:
                for piece in body.chunks():
                    conn.send(piece)
                    self.body_bytes_sent += len(piece)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, ssl.SSLError) as sending:
                # The server may have answered early (e.g. 401 or 413) and closed its side;
                # its answer is more useful than the broken pipe.
                try:
                    response = conn.getresponse()
                    data = self._read(response)
                except (OSError, http.client.HTTPException):
                    raise _BodyInterrupted(sending) from None
                conn.close()
                return Response(response.status, response.reason, response.headers, data, url)
        response = conn.getresponse()
        if sink is not None and response.status == 200:
            while piece := response.read(_READ_BLOCK):
                try:
                    sink(piece)
                except Exception as e:  # noqa: BLE001 - re-raised as is by send()
                    raise _SinkFailed(e) from None
            data = b""
        else:
            data = self._read(response)
        if response.will_close:
            conn.close()
        return Response(response.status, response.reason, response.headers, data, url)

    @staticmethod
    def _read(response: http.client.HTTPResponse) -> bytes:
        data = response.read(_MAX_RESPONSE_BYTES + 1)
        if len(data) > _MAX_RESPONSE_BYTES:
            raise RegistryError("a registry response was larger than 32 MiB; refusing to buffer it")
        if not response.isclosed():
            response.read()  # drain so the connection can be reused
        return data


def resolve_location(request_url: str, location: str) -> str:
    """A Location header made absolute; registries send both relative and absolute ones."""
    return urllib.parse.urljoin(request_url, location)


def add_query(url: str, **params: str) -> str:
    """Appends parameters to a URL that may already carry a query string (upload state tokens)."""
    parts = urllib.parse.urlsplit(url)
    extra = urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="")
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def env_path(path: str | None) -> str | None:
    """Resolves a user-supplied relative path against the directory `bazel run` was started in."""
    if not path:
        return path
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    if base and not os.path.isabs(path):
        return os.path.join(base, path)
    return path
