"""Fixtures: a PKI, real registries (htpasswd and token auth), a fault proxy, and a CLI runner."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from tools.registry.tests import servers

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def require(*binaries: str) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH (Debian packages docker-registry, apache2-utils, "
                    "skopeo, umoci, openssl)")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    require("openssl")
    return servers.make_pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="session")
def registry(pki, tmp_path_factory):
    """TLS registry with htpasswd auth, shared by the session; tests use distinct repositories."""
    require("docker-registry", "htpasswd")
    d = str(tmp_path_factory.mktemp("registry"))
    r = servers.Registry(d, pki, auth=servers.htpasswd_auth(d))
    yield r
    r.stop()


@pytest.fixture(scope="session")
def token_server(pki):
    s = servers.TokenServer(pki, grant=lambda user, repo: [] if repo.startswith("readonly/") else ["pull", "push"])
    yield s
    s.stop()


@pytest.fixture(scope="session")
def token_registry(pki, token_server, tmp_path_factory):
    """TLS registry with token auth: a real `auth.token` config verifying our token server's JWTs."""
    require("docker-registry")
    d = str(tmp_path_factory.mktemp("token-registry"))
    r = servers.Registry(d, pki, auth=servers.token_auth(token_server.realm, pki))
    yield r
    r.stop()


@pytest.fixture
def proxy(registry):
    p = servers.FaultProxy(registry)
    yield p
    p.stop()


@pytest.fixture
def repo_name():
    return f"test/{uuid.uuid4().hex[:12]}"


def write_docker_config(directory: str, config: dict) -> str:
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f)
    return directory


def auth_entry(user: str, password: str) -> dict:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def docker_config(tmp_path, registry):
    """A DOCKER_CONFIG directory with the right credentials for the registry."""
    return write_docker_config(str(tmp_path / "docker"), {"auths": {
        registry.host: auth_entry(servers.USER, servers.PASSWORD),
    }})


@pytest.fixture
def proxy_config(tmp_path, proxy):
    """A DOCKER_CONFIG directory with the right credentials for the fault proxy's host."""
    return write_docker_config(str(tmp_path / "proxy-docker"), {"auths": {
        proxy.host: auth_entry(servers.USER, servers.PASSWORD),
    }})


class Cli:
    """Runs `python -m tools.registry.image_publish` as the Bazel-run script would."""

    def __init__(self, home: str) -> None:
        self.home = home

    def env(self, docker_config: str | None = None, path_prefix: str | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONFIG", "BUILD_WORKING_DIRECTORY")}
        env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT, *sys.path[1:]])
        env["HOME"] = self.home  # never read the developer's ~/.docker
        if docker_config:
            env["DOCKER_CONFIG"] = docker_config
        if path_prefix:
            env["PATH"] = path_prefix + os.pathsep + env.get("PATH", "")
        return env

    def run(self, *args: str, docker_config: str | None = None, path_prefix: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tools.registry.image_publish", *args],
            cwd=REPO_ROOT, env=self.env(docker_config, path_prefix), capture_output=True, text=True,
            timeout=timeout)

    def start(self, *args: str, docker_config: str | None = None) -> subprocess.Popen:
        """The same, running: for a test that kills it halfway."""
        return subprocess.Popen(
            [sys.executable, "-m", "tools.registry.image_publish", *args],
            cwd=REPO_ROOT, env=self.env(docker_config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def cli(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Cli(str(home))


def skopeo_raw(pki, reference: str, *, creds: str | None = None, tls: bool = True,
               registry_token: str | None = None) -> bytes:
    """The manifest bytes a standard client (skopeo) gets for `reference` (HOST/PATH:tag or @digest)."""
    require("skopeo")
    cmd = ["skopeo", "inspect", "--raw", f"--tls-verify={'true' if tls else 'false'}"]
    if tls:
        cmd += ["--cert-dir", pki.cert_dir]
    if creds:
        cmd += ["--creds", creds]
    if registry_token:
        cmd += ["--registry-token", registry_token]
    cmd.append("docker://" + reference)
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout
