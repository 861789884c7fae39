"""Files from a list of Maven repositories, each checked against the repository's published `.sha1`.

For a repository path (`org/x/y/1.0/y-1.0.jar`) the repositories are asked in order: the first
that has `<path>.sha1` serves the file. The file's bytes must have that SHA-1, or the lock fails
naming the URL and both hashes; its sha256 and size are computed from the same bytes. A file that
is not in a repository is looked for in the next one; a file published without `.sha1` is an
error (nothing would check the download).

A cache (content-addressed by SHA-1, in `cache_dir`) keeps downloaded files between lock runs.
It is only read after the repository's `.sha1` has been fetched again, and an entry is only
used when its bytes still have that SHA-1: the cache saves downloads, never a check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import tempfile

from tools.common.errors import UserError
from tools.maven.transport import FetchError, HttpClient, NotFound, copy_stream

DEFAULT_REPOSITORY = "https://repo1.maven.org/maven2/"
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tools-maven")


class MissingArtifact(UserError):
    """No repository has the file."""

    def __init__(self, path: str, urls: list[str], what: str = "it"):
        super().__init__(f"{what} is not in any repository (tried {', '.join(urls)})")
        self.path = path
        self.urls = urls


@dataclasses.dataclass(frozen=True)
class Fetched:
    url: str
    repository: str
    sha1: str
    sha256: str
    size: int
    data: bytes | None  # small files only (POMs); None for files streamed to `path`


def _hashes(data: bytes) -> tuple[str, str]:
    return hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest()


class Repositories:
    def __init__(self, urls: list[str], client: HttpClient, cache_dir: str | None = None):
        if not urls:
            raise UserError("no repository to resolve from")
        self.urls = [u if u.endswith("/") else u + "/" for u in urls]
        self.client = client
        self.cache_dir = cache_dir

    def _published_sha1(self, url: str) -> str:
        text = self.client.get_bytes(url + ".sha1", max_bytes=4096).decode("ascii", "replace").strip()
        # Either the bare hash or `hash  file-name`, in any case.
        digest = text.split()[0].lower() if text else ""
        if not _SHA1_RE.match(digest):
            raise UserError(f"{url}.sha1: not a SHA-1 checksum ({text[:60]!r})")
        return digest

    def _cache_path(self, sha1: str) -> str | None:
        return os.path.join(self.cache_dir, "sha1", sha1[:2], sha1) if self.cache_dir else None

    def _from_cache(self, sha1: str, keep_data: bool) -> tuple[str, int, bytes | None] | None:
        path = self._cache_path(sha1)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        actual_sha1, sha256 = _hashes(data)
        if actual_sha1 != sha1:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        return sha256, len(data), data if keep_data else None

    def _download(self, url: str, sha1: str, keep_data: bool) -> tuple[str, int, bytes | None]:
        target = self._cache_path(sha1)
        directory = os.path.dirname(target) if target else None
        if directory:
            os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        try:
            with os.fdopen(fd, "w+b") as out:
                hashers: list = []

                def consume(response) -> None:
                    out.seek(0)
                    out.truncate()
                    hashers[:] = [hashlib.sha1(), hashlib.sha256()]
                    copy_stream(response, out, lambda chunk: [h.update(chunk) for h in hashers])

                self.client.get(url, consume)
                size = out.tell()
                data = None
                if keep_data:
                    out.seek(0)
                    data = out.read()
            actual_sha1, sha256 = hashers[0].hexdigest(), hashers[1].hexdigest()
            if actual_sha1 != sha1:
                raise UserError(
                    f"{url}: the download's SHA-1 is {actual_sha1} but the repository publishes {sha1} in "
                    f"{url}.sha1; the transfer was corrupted or the repository (or a proxy) serves other bytes"
                )
            if target:
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
                tmp = ""
            return sha256, size, data
        finally:
            if tmp:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)

    def fetch(self, path: str, *, keep_data: bool = False) -> Fetched:
        """The file at `path` from the first repository that publishes it, verified (module docstring).
        Raises MissingArtifact when no repository has it."""
        tried = []
        for base in self.urls:
            url = base + path
            tried.append(url)
            try:
                sha1 = self._published_sha1(url)
            except NotFound:
                self._refuse_unchecked(url)
                continue
            except FetchError as e:
                raise UserError(f"cannot reach the repository: {e}") from None
            found = self._from_cache(sha1, keep_data)
            if found is None:
                try:
                    found = self._download(url, sha1, keep_data)
                except NotFound:
                    raise UserError(f"{url}: the repository publishes {url}.sha1 but not the file itself") from None
                except FetchError as e:
                    raise UserError(f"cannot download {e}") from None
            sha256, size, data = found
            return Fetched(url=url, repository=base, sha1=sha1, sha256=sha256, size=size, data=data)
        raise MissingArtifact(path, tried)

    def _refuse_unchecked(self, url: str) -> None:
        """A repository without `<path>.sha1`: fine if it lacks the file too, an error if it has it."""
        try:
            self.client.get(url, lambda response: response.read(1) and None)
        except NotFound:
            return
        except FetchError as e:
            raise UserError(f"cannot reach the repository: {e}") from None
        raise UserError(f"{url}: the repository serves the file but no {url}.sha1 to check it against; "
                        "refusing an unchecked download (use a repository that publishes checksums)")
