"""A content-addressed download cache that only ever holds verified bytes.

Entries are named by their sha256 and are only added after the bytes were
checked against a hash that came from a verified signature, so the cache can
never hand out something unverified. Reads re-hash the entry, so a corrupted
cache file is ignored (and removed) rather than trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil

from tools.common.atomic import atomic_binary_output
from tools.common.digest import is_sha256_hex



def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tools-debian")


class ContentCache:
    def __init__(self, directory: str | None):
        """`directory=None` disables caching."""
        self.directory = directory

    def _path(self, sha256: str) -> str:
        assert self.directory is not None and is_sha256_hex(sha256), sha256
        return os.path.join(self.directory, "sha256", sha256)

    def get(self, sha256: str, size: int | None) -> bytes | None:
        if self.directory is None:
            return None
        path = self._path(sha256)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        if (size is not None and len(data) != size) or hashlib.sha256(data).hexdigest() != sha256:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        return data

    def put_verified_file(self, sha256: str, path: str) -> None:
        """Copies an already verified file into the cache (atomically)."""
        if self.directory is None:
            return
        target = self._path(sha256)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(path, "rb") as src, atomic_binary_output(target) as dst:
            shutil.copyfileobj(src, dst)
