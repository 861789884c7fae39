"""URL handling, the plain-HTTP policy, CA files and streamed bodies."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from tools.registry.errors import RegistryError
from tools.registry.transport import (
    FileSectionBody,
    Transport,
    TransportOptions,
    add_query,
    env_path,
    resolve_location,
)


@pytest.mark.parametrize("location, expected", [
    ("/v2/a/blobs/uploads/u1?_state=xyz", "https://r.example:5000/v2/a/blobs/uploads/u1?_state=xyz"),
    ("https://other.example/up/u1", "https://other.example/up/u1"),
    ("u2", "https://r.example:5000/v2/a/blobs/uploads/u2"),
])
def test_resolve_location(location, expected):
    assert resolve_location("https://r.example:5000/v2/a/blobs/uploads/", location) == expected


def test_add_query_keeps_existing_query():
    digest = "sha256:" + "0" * 64
    assert add_query("https://r/up/1?_state=a%2Bb&x=1", digest=digest) == \
        f"https://r/up/1?_state=a%2Bb&x=1&digest=sha256%3A{'0' * 64}"
    assert add_query("https://r/up/1", digest=digest) == f"https://r/up/1?digest=sha256%3A{'0' * 64}"


def test_plain_http_policy():
    https = Transport(TransportOptions())
    assert https.scheme_for("192.0.2.1") == "https"
    with pytest.raises(RegistryError, match="pass --plain_http"):
        https.check_plain_http_allowed("127.0.0.1")  # e.g. a Location downgrading to http
    plain = Transport(TransportOptions(plain_http=True))
    assert plain.scheme_for("127.0.0.1") == "http" and plain.scheme_for("localhost") == "http"
    with pytest.raises(RegistryError, match="refusing plain HTTP to 192.0.2.1.*--allow_insecure_http"):
        plain.scheme_for("192.0.2.1")
    forced = Transport(TransportOptions(plain_http=True, allow_insecure_http=True))
    assert forced.scheme_for("192.0.2.1") == "http"


def test_http_url_refused_when_not_allowed():
    with pytest.raises(RegistryError, match="refusing plain HTTP"):
        Transport(TransportOptions()).send("GET", "http://192.0.2.1/v2/", {})


def test_ca_file_errors(tmp_path):
    with pytest.raises(RegistryError, match="no such file"):
        Transport(TransportOptions(ca_file=str(tmp_path / "missing.pem")))
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(RegistryError, match="not a readable PEM CA bundle"):
        Transport(TransportOptions(ca_file=str(bad)))


def test_file_section_body_is_streamed_in_bounded_pieces(tmp_path):
    data = bytes(range(256)) * 20000  # ~5 MiB
    path = tmp_path / "blob"
    path.write_bytes(data)
    body = FileSectionBody(str(path), 1000, 3_000_000)
    pieces = list(body.chunks())
    assert b"".join(pieces) == data[1000:3_001_000]
    assert max(len(p) for p in pieces) <= 1 << 20
    assert b"".join(body.chunks()) == data[1000:3_001_000]  # a resend reads it again


def test_env_path(monkeypatch):
    monkeypatch.setenv("BUILD_WORKING_DIRECTORY", "/ws")
    assert env_path("certs/ca.pem") == "/ws/certs/ca.pem"
    assert env_path("/abs/ca.pem") == "/abs/ca.pem"
    monkeypatch.delenv("BUILD_WORKING_DIRECTORY")
    assert env_path("certs/ca.pem") == "certs/ca.pem"


def test_a_kept_alive_connection_the_server_closed_is_replaced_before_use():
    """The server ends the connection after its answer without saying so (an idle timeout): the
    next request must go out on a new connection, not fail on the dead one."""
    closed = threading.Event()
    connections = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            connections.append(self.client_address)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            self.close_connection = True  # no "Connection: close" header: the client cannot know

        def finish(self):
            super().finish()
            closed.set()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    transport = Transport(TransportOptions(plain_http=True))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v2/"
        assert transport.send("GET", url, {}).body == b"ok"
        assert closed.wait(10)
        time.sleep(0.1)  # the FIN has reached the client's socket
        assert transport.send("GET", url, {}).body == b"ok"
        assert len(set(connections)) == 2
    finally:
        transport.close()
        server.shutdown()
        server.server_close()
