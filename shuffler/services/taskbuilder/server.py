"""HTTP front end: POST /tasks builds a task description, GET /healthz answers "ok"."""

from __future__ import annotations

import http.server
import json
import sys
from typing import Any

from shuffler.services.taskbuilder import task_builder_lib

_MAX_REQUEST_BYTES = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "task_builder"
    sys_version = ""

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = (json.dumps(body, sort_keys=True) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
        else:
            self._reply(404, {"error": f"no such path {self.path}"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/tasks":
            self._reply(404, {"error": f"no such path {self.path}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > _MAX_REQUEST_BYTES:
            self._reply(400, {"error": f"request body must be 1 to {_MAX_REQUEST_BYTES} bytes of JSON"})
            return
        try:
            self._reply(200, task_builder_lib.handle(self.rfile.read(length)))
        except task_builder_lib.BadRequest as e:
            self._reply(400, {"error": str(e)})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        sys.stderr.write("task_builder: %s %s\n" % (self.address_string(), format % args))


def serve(host: str, port: int) -> None:
    with http.server.ThreadingHTTPServer((host, port), Handler) as httpd:
        print(f"task_builder: listening on {host}:{httpd.server_address[1]}", file=sys.stderr, flush=True)
        httpd.serve_forever()
