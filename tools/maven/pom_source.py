"""Raw POMs by coordinates: fetched once, verified (repository.py), parsed once.

Resolution walks the graph depth-first and needs one POM at a time; `prefetch` lets it ask for
the POMs it is about to need so that worker threads fetch them while it works on others (and
a parsed POM's parent is asked for at once). A failed prefetch costs nothing until that POM is
really needed: then its error is raised where it is needed.
"""

from __future__ import annotations

import concurrent.futures
import threading

from tools.maven.coordinates import artifact_of
from tools.maven.pom import RawModel, parse_pom
from tools.maven.repository import MissingArtifact, Repositories


class PomSource:
    def __init__(self, repositories: Repositories, pool: concurrent.futures.Executor):
        self._repositories = repositories
        self._pool = pool
        self._futures: dict[tuple[str, str, str], concurrent.futures.Future[RawModel]] = {}
        self._lock = threading.Lock()
        self._used: set[tuple[str, str, str]] = set()

    def _future(self, group: str, artifact: str, version: str) -> concurrent.futures.Future[RawModel]:
        key = (group, artifact, version)
        with self._lock:
            future = self._futures.get(key)
            if future is None:
                future = self._pool.submit(self._load, group, artifact, version)
                self._futures[key] = future
        return future

    def prefetch(self, group: str, artifact: str, version: str) -> None:
        self._future(group, artifact, version)

    def raw(self, group: str, artifact: str, version: str) -> RawModel:
        with self._lock:
            self._used.add((group, artifact, version))
        return self._future(group, artifact, version).result()

    @property
    def used(self) -> int:
        """How many POMs resolution read (prefetched ones it never needed do not count)."""
        with self._lock:
            return len(self._used)

    def _load(self, group: str, artifact: str, version: str) -> RawModel:
        pom = artifact_of(group, artifact, version, "pom")
        try:
            fetched = self._repositories.fetch(pom.path, keep_data=True)
        except MissingArtifact as e:
            raise MissingArtifact(e.path, e.urls, what="its POM") from None
        assert fetched.data is not None
        model = parse_pom(fetched.data, fetched.url)
        if model.parent is not None:
            self.prefetch(model.parent.group, model.parent.artifact, model.parent.version)
        return model
