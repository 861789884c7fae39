"""Reading from registries outside `image_publish`: one transport and the Docker config for a run,
read-only (pull-scoped) clients per repository, and `HOST/PATH:tag` / `HOST/PATH@sha256:...`
image references. Used by `//tools/verify` and the explainer's `docker://` references."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Callable

from tools.common.digest import DIGEST
from tools.common.errors import UserError
from tools.registry import docker_config
from tools.registry.client import RegistryClient, RetryPolicy
from tools.registry.reference import Repository, parse_repository, validate_tag
from tools.registry.transport import Transport, TransportOptions


@dataclasses.dataclass(frozen=True)
class Access:
    ca_file: str | None = None
    docker_config: str | None = None
    plain_http: bool = False
    allow_insecure_http: bool = False
    timeout: float = 300.0


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Reader:
    """Read-only clients sharing one transport (one keep-alive connection per registry)."""

    def __init__(self, access: Access = Access(), log: Callable[[str], None] = _stderr) -> None:
        self._location = docker_config.locate_config(access.docker_config, os.environ)
        self._log = log
        self.transport = Transport(TransportOptions(ca_file=access.ca_file, plain_http=access.plain_http,
                                                    allow_insecure_http=access.allow_insecure_http,
                                                    timeout=access.timeout))
        self._clients: dict[str, RegistryClient] = {}

    def client(self, repository: Repository) -> RegistryClient:
        key = str(repository)
        if key not in self._clients:
            credentials = docker_config.lookup(repository, self._location)
            client = RegistryClient(repository, self.transport, credentials,
                                    config_hint=f"{self._location.path} ({self._location.how})",
                                    retry=RetryPolicy(), log=self._log, push=False)
            client.ping()
            self._clients[key] = client
        return self._clients[key]

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_image(text: str) -> tuple[Repository, str]:
    """`[docker://]HOST[:PORT]/PATH` with `:tag` or `@sha256:...` (default tag `latest`)."""
    rest = text.removeprefix("docker://")
    if "@" in rest:
        name, _, reference = rest.partition("@")
        if not DIGEST.fullmatch(reference):
            raise UserError(f"{text}: {reference!r} is not a sha256:<64 hex> digest")
    else:
        name, reference = rest, "latest"
        head, sep, last = rest.rpartition("/")
        if sep and ":" in last:
            base, _, reference = last.partition(":")
            name = f"{head}/{base}"
            validate_tag(reference)
    return parse_repository(name, text), reference
