"""Shared fixtures: a fixture Maven repository served on 127.0.0.1, and locking against it."""

from __future__ import annotations

import os
from typing import Any, Sequence

import pytest

from tools.maven.maven_lock import lock_manifest
from tools.maven.tests.mavenfixtures import FixtureRepository, write_manifest
from tools.testing.static_server import serve


class Site:
    def __init__(self, repository: FixtureRepository, url: str, requests: list[str], work: str):
        self.repository = repository
        self.url = url
        self.requests = requests
        self.work = work
        self._count = 0

    def manifest(self, dependencies: Sequence[str | dict], **kwargs: Any) -> str:
        self._count += 1
        kwargs.setdefault("repositories", [self.url])
        return write_manifest(os.path.join(self.work, f"m{self._count}.toml"), dependencies=dependencies, **kwargs)

    def lock(self, dependencies: Sequence[str | dict], *, cache_dir: str | None = None, **kwargs: Any) -> dict:
        """Locks a manifest of `dependencies` against the fixture repository; returns the lock."""
        manifest = self.manifest(dependencies, **kwargs)
        return lock_manifest(manifest, manifest[: -len(".toml")] + ".lock.json", cache_dir=cache_dir)

    def resolve(self, dependencies: Sequence[str | dict], **kwargs: Any) -> dict[str, tuple[str, str]]:
        """lock key -> (version, scope) of everything the lock holds."""
        lock = self.lock(dependencies, **kwargs)
        return {k: (a["version"], a["scope"]) for k, a in lock["artifacts"].items()}


@pytest.fixture
def site(tmp_path):
    repository = FixtureRepository(str(tmp_path / "repo"))
    work = tmp_path / "work"
    work.mkdir()
    requests: list[str] = []
    with serve(repository.root, requests=requests, keep_alive=True) as url:
        yield Site(repository, url, requests, str(work))
