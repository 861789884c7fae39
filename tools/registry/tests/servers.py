"""Real servers for the tests: CNCF distribution (`docker-registry`), a fault-injecting proxy, and a
token server issuing RS256 JWTs the real registry verifies. Everything listens on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import http.server
import io
import json
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse
from typing import Callable

from tools.testing.pki import Pki, client_ssl_context, make_pki, openssl, server_ssl_context  # noqa: F401 - make_pki for callers

USER = "alice"
PASSWORD = "s3cr3t-Pa55word-never-printed"
TOKEN_SERVICE = "test-registry"
TOKEN_ISSUER = "test-token-issuer"


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


class Registry:
    """`docker-registry serve` with filesystem storage in a temporary directory."""

    def __init__(self, directory: str, pki: Pki, *, auth: dict | None, tls: bool = True,
                 relative_urls: bool = False, bind: str = "127.0.0.1") -> None:
        self.directory = directory
        self.pki = pki
        self.tls = tls
        os.makedirs(directory, exist_ok=True)
        self.bind = bind
        self.port = free_port(bind)
        self.host = f"{bind}:{self.port}"
        http_section: dict = {"addr": self.host, "secret": "test-http-secret", "relativeurls": relative_urls}
        if tls:
            http_section["tls"] = {"certificate": pki.server_cert, "key": pki.server_key}
        config = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": os.path.join(directory, "data")},
                        "delete": {"enabled": True}},
            "http": http_section,
        }
        if auth:
            config["auth"] = auth
        # JSON is YAML; no YAML library needed.
        self.config_path = os.path.join(directory, "config.yml")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=1)
        self.log_path = os.path.join(directory, "registry.log")
        self.start()

    def start(self) -> None:
        """Starts the process (again, after `stop`: same port, same storage, one log)."""
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(["docker-registry", "serve", self.config_path],
                                        stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited {self.process.returncode}: {self.log()[-2000:]}")
            try:
                status = self.get("/v2/")[0]
                if status in (200, 401):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry did not answer /v2/ within 30s: {self.log()[-2000:]}")

    def get(self, path: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
        if self.tls:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.bind, self.port, context=client_ssl_context(self.pki), timeout=10)
        else:
            conn = http.client.HTTPConnection(self.bind, self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.headers), r.read()
        finally:
            conn.close()

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def htpasswd_auth(directory: str) -> dict:
    line = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], check=True, capture_output=True).stdout
    path = os.path.join(directory, "htpasswd")
    os.makedirs(directory, exist_ok=True)
    with open(path, "wb") as f:
        f.write(line.strip() + b"\n")
    return {"htpasswd": {"realm": "test-realm", "path": path}}


# -- fault-injecting proxy --------------------------------------------------------------------

@dataclasses.dataclass
class Fault:
    """What the proxy does instead of (or besides) forwarding the first `times` requests matching
    `method` and `path_contains`.

    By default it reads the whole body and answers `status` with `headers` and `body`; status 0
    closes the connection without an answer. `reset_after` resets the connection (TCP RST) once
    that many bytes of the request body have arrived. `action` runs when the fault fires (after
    `reset_after` bytes, if set): a test restarts the registry or kills the client there.
    `forward` sends the request on to the registry: with `reset_after`, the headers and the first
    bytes of the body (what a connection dropped halfway delivers), otherwise all of it after
    `action`; `close` then ends the connection after the answer, so the client's next request
    comes on a fresh one.
    """

    method: str
    path_contains: str
    status: int = 0
    times: int = 1
    skip: int = 0  # matching requests to let through untouched before the fault applies
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    reset_after: int | None = None
    action: Callable[[], None] | None = None
    forward: bool = False
    close: bool = False


@dataclasses.dataclass
class Seen:
    """One request as the proxy saw it: `body_bytes` is what arrived of its body, `status` what
    the client got (0: no answer, the connection was dropped or reset)."""

    method: str
    path: str
    connection: int  # one number per TCP connection, in the order they were opened
    request_on_connection: int  # 1 for the first request on its connection
    started: float  # time.monotonic()
    body_bytes: int = 0
    status: int = 0
    fault: bool = False


class _Reset(Exception):
    """The proxy reset the client's connection on purpose."""


class FaultProxy:
    """Plain-HTTP reverse proxy on 127.0.0.1 in front of a (TLS) registry that records every
    request and injects faults: answers, dropped and reset connections, actions mid-request."""

    def __init__(self, upstream: Registry) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._connections = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with proxy.lock:
                    proxy._connections += 1
                    self.connection_number = proxy._connections
                self.requests_handled = 0

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _handle(self) -> None:
                self.requests_handled += 1
                proxy._handle(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def matching(self, method: str, path_contains: str = "") -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and path_contains in s.path]

    def count(self, method: str, path_contains: str = "") -> int:
        return len(self.matching(method, path_contains))

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()
            self.faults.clear()

    def _take_fault(self, seen: Seen) -> Fault | None:
        with self.lock:
            self.seen.append(seen)
            for fault in self.faults:
                if fault.times > 0 and fault.method == seen.method and fault.path_contains in seen.path:
                    if fault.skip:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    seen.fault = True
                    return fault
        return None

    def _handle(self, h) -> None:
        seen = Seen(h.command, h.path, h.connection_number, h.requests_handled, time.monotonic())
        fault = self._take_fault(seen)
        length = int(h.headers.get("Content-Length") or 0)
        try:
            if fault is None:
                self._forward(h, seen, length)
                return
            if fault.forward:
                if fault.action is not None and fault.reset_after is None:
                    fault.action()
                self._forward(h, seen, length, fault)
                return
            self._read_body(h, seen, length, fault.reset_after)
            if fault.action is not None:
                fault.action()
            if fault.reset_after is not None:
                raise _Reset()
            if fault.status == 0:
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            self._answer(h, seen, fault.status, fault.headers, fault.body)
        except _Reset:
            h.close_connection = True
            # Unread bytes in the receive buffer and a zero linger time: close() sends a RST.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.rfile.close()
            h.wfile.close()
            h.wfile = io.BytesIO()  # the server flushes it after every request
            h.connection.close()

    @staticmethod
    def _read_body(h, seen: Seen, length: int, limit: int | None, sink: Callable[[bytes], None] | None = None) -> None:
        remaining = length if limit is None else min(length, limit)
        while remaining:
            piece = h.rfile.read(min(remaining, 1 << 16))
            if not piece:
                raise _Reset()  # the client went away
            remaining -= len(piece)
            seen.body_bytes += len(piece)
            if sink is not None:
                sink(piece)

    @staticmethod
    def _answer(h, seen: Seen, status: int, headers: dict[str, str], body: bytes, reason: str | None = None,
                close: bool = False) -> None:
        seen.status = status
        h.send_response(status, reason)
        for name, value in headers.items():
            h.send_header(name, value)
        if "Content-Length" not in headers:
            h.send_header("Content-Length", str(len(body)))
        if close:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def _forward(self, h, seen: Seen, length: int, fault: Fault | None = None) -> None:
        conn = http.client.HTTPSConnection("127.0.0.1", self.upstream.port,
                                           context=client_ssl_context(self.upstream.pki), timeout=60)
        try:
            try:
                conn.putrequest(h.command, h.path, skip_host=True, skip_accept_encoding=True)
                for name, value in h.headers.items():
                    if name.lower() not in ("connection", "keep-alive", "transfer-encoding"):
                        conn.putheader(name, value)
                conn.putheader("X-Forwarded-Proto", "http")
                conn.endheaders()
            except OSError:
                # The registry is down (e.g. being restarted): what a reverse proxy answers.
                self._read_body(h, seen, length, None)
                self._answer(h, seen, 502, {"Content-Type": "text/plain"}, b"registry unreachable\n")
                return
            limit = fault.reset_after if fault is not None else None
            upstream_gone = False

            def send(piece: bytes) -> None:
                nonlocal upstream_gone
                if not upstream_gone:
                    try:
                        conn.send(piece)
                    except OSError:
                        upstream_gone = True  # it answered early (an error) and closed: relay that answer

            self._read_body(h, seen, length, limit, send)
            if fault is not None and limit is not None:
                if fault.action is not None:
                    fault.action()
                raise _Reset()
            try:
                r = conn.getresponse()
                data = r.read()
            except OSError:
                self._answer(h, seen, 502, {"Content-Type": "text/plain"}, b"registry closed the connection\n")
                return
            headers = {name: value for name, value in r.getheaders()
                       if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length")}
            headers["Content-Length"] = (r.getheader("Content-Length") or "0") if h.command == "HEAD" else str(len(data))
            self._answer(h, seen, r.status, headers, data, r.reason, fault is not None and fault.close)
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- token server ------------------------------------------------------------------------------

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenServer:
    """HTTPS token endpoint (GET with Basic auth; POST refresh_token grant) issuing RS256 JWTs.

    `grant` decides which actions a user gets on a requested repository scope.
    """

    REFRESH_TOKEN = "refresh-token-for-" + USER + "-never-printed"

    def __init__(self, pki: Pki, grant: Callable[[str, str], list[str]] | None = None) -> None:
        self.pki = pki
        self.grant = grant or (lambda user, repo: ["pull", "push"])
        self.requests: list[dict] = []
        with open(pki.signing_cert) as f:
            pem = f.read()
        der = ssl.PEM_cert_to_DER_cert(pem)
        self._x5c = base64.b64encode(der).decode("ascii")
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server._get(self)

            def do_POST(self) -> None:
                server._post(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = server_ssl_context(pki).wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.realm = f"https://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _answer(self, h: http.server.BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _issue(self, h: http.server.BaseHTTPRequestHandler, user: str, service: str, scopes: list[str],
               key: str) -> None:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and name:
                granted = [a for a in actions.split(",") if a in self.grant(user, name)]
                access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {"iss": TOKEN_ISSUER, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": hashlib.sha256(os.urandom(16)).hexdigest(), "access": access}
        signing_input = (_b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode()))
        signature = openssl("dgst", "-sha256", "-sign", self.pki.signing_key, input=signing_input.encode())
        token = signing_input + "." + _b64url(signature)
        self._answer(h, 200, {key: token, "expires_in": 300, "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")})

    def _get(self, h: http.server.BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(url.query)
        authorization = h.headers.get("Authorization") or ""
        record = {"method": "GET", "service": query.get("service", [""])[0], "scopes": query.get("scope", []),
                  "basic": authorization.startswith("Basic ")}
        self.requests.append(record)
        user = ""
        if authorization.startswith("Basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if (user, password) != (USER, PASSWORD):
                self._answer(h, 401, {"details": "wrong username or password"})
                return
        if not user:
            self._answer(h, 401, {"details": "authentication required"})
            return
        self._issue(h, user, record["service"], record["scopes"], "token")

    def _post(self, h: http.server.BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(h.rfile.read(length).decode())
        record = {"method": "POST", "grant_type": form.get("grant_type", [""])[0],
                  "service": form.get("service", [""])[0], "scopes": form.get("scope", [""])[0].split()}
        self.requests.append(record)
        if record["grant_type"] != "refresh_token" or form.get("refresh_token", [""])[0] != self.REFRESH_TOKEN:
            self._answer(h, 401, {"error": "invalid_grant"})
            return
        self._issue(h, USER, record["service"], record["scopes"], "access_token")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def token_auth(realm: str, pki: Pki) -> dict:
    return {"token": {"realm": realm, "service": TOKEN_SERVICE, "issuer": TOKEN_ISSUER,
                      "rootcertbundle": pki.signing_cert}}
