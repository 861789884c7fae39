"""Runs a service image as its configuration says, for tests: its entrypoint, environment, user and
working directory, in its own unpacked root file system, with options given as FCP_OPTS.

Test support only. Nothing of the host is visible to the service (no host Java or Python, no
host libraries); it listens on 127.0.0.1 of the test's network.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest

from tools.testing import oci_tools

# Every Spring service answers this once it is up.
SPRING_HEALTH = "/actuator/health"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RunningService:
    port: int
    process: subprocess.Popen

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json", timeout: float = 30) -> Response:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                         headers={"Content-Type": content_type} if body is not None else {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return Response(r.status, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_json(self, path: str, value: Any) -> Response:
        return self.request("POST", path, json.dumps(value).encode())


def unpack(layout: str, dest: str) -> tuple[str, dict[str, Any]]:
    """The image's root file system (unpacked by umoci) and its configuration (read by skopeo)."""
    config = oci_tools.skopeo_inspect(layout, config=True)["config"]
    return oci_tools.umoci_unpack(layout, dest), config


@contextlib.contextmanager
def running(rootfs: str, config: dict[str, Any], fcp_opts: Callable[[int], str], health: str,
            timeout: float = 90) -> Iterator[RunningService]:
    """Starts the image's entrypoint with FCP_OPTS = fcp_opts(port); yields once `health` answers 200."""
    port = free_port()
    env = dict(item.split("=", 1) for item in config.get("Env", []))
    env["FCP_OPTS"] = fcp_opts(port)
    argv = config.get("Entrypoint", []) + (config.get("Cmd") or [])
    process = oci_tools.start_in_rootfs(rootfs, argv, env=env, cwd=config.get("WorkingDir") or "/",
                                        user=config.get("User") or "0")
    service = RunningService(port, process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if service.get(health).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None:
                raise AssertionError(f"the service exited with {process.returncode}:\n"
                                     + process.stderr.read().decode(errors="replace")[-4000:])
            if time.monotonic() > deadline:
                raise AssertionError(f"the service did not answer {health} within {timeout} s")
            time.sleep(0.25)
        yield service
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def fixtures(layout: str, options: str = "", health: str = SPRING_HEALTH) -> tuple[Any, Any]:
    """The two module-scoped fixtures of a service's image test, to bind in the test module as

        image, service = service_image.fixtures(LAYOUT, "--max_tasks 3")

    `image` is (root file system, configuration) of the unpacked `layout`; `service` the running
    entrypoint, started with FCP_OPTS `--port <free port> --address 127.0.0.1 <options>`, once
    `health` answers.
    """

    @pytest.fixture(scope="module")
    def image(tmp_path_factory):
        return unpack(layout, str(tmp_path_factory.mktemp("image") / "bundle"))

    @pytest.fixture(scope="module")
    def service(image):
        rootfs, config = image
        with running(rootfs, config, lambda port: f"--port {port} --address 127.0.0.1 {options}".rstrip(),
                     health) as started:
            yield started

    return image, service
