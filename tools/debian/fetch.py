"""HTTP downloads that are only ever kept once their sha256 (and size) match.

`download_verified` streams into a temporary file beside the destination while
hashing and renames it into place only on a match, so no caller can ever see,
use or cache bytes that were not checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from typing import Sequence

from tools.common.errors import UserError

USER_AGENT = "tools.debian/1 (reproducible image builds)"
DEFAULT_TIMEOUT = 60.0
_CHUNK = 1 << 20


class FetchError(Exception):
    """A URL could not be fetched; `not_found` tells a 404/410 from other failures."""

    def __init__(self, url: str, reason: str, not_found: bool = False):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.not_found = not_found


def _open(url: str, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        raise FetchError(url, f"HTTP {e.code} {e.reason}", not_found=e.code in (404, 410)) from None
    except urllib.error.URLError as e:
        raise FetchError(url, f"unreachable ({e.reason})") from None
    except (OSError, ValueError, http.client.HTTPException) as e:
        raise FetchError(url, f"unreachable ({e!r})") from None


def fetch_bytes(url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = 64 << 20) -> bytes:
    """Downloads a small unauthenticated document (an InRelease) into memory.

    The caller must authenticate the result before using it.
    """
    with contextlib.ExitStack() as stack:
        response = stack.enter_context(_open(url, timeout))
        try:
            data = response.read(max_bytes + 1)
        except (OSError, http.client.HTTPException) as e:
            raise FetchError(url, f"connection failed while reading ({e})") from None
    if len(data) > max_bytes:
        raise FetchError(url, f"response larger than {max_bytes} bytes")
    return data


def _stream_to(url: str, out, size: int | None, timeout: float) -> tuple[str, int]:
    """Copies `url` into `out`; returns (sha256, bytes). Stops early once past `size`."""
    digest = hashlib.sha256()
    total = 0
    with _open(url, timeout) as response:
        while True:
            try:
                chunk = response.read(_CHUNK)
            except (OSError, http.client.HTTPException) as e:
                raise FetchError(url, f"connection failed while reading ({e})") from None
            if not chunk:
                break
            total += len(chunk)
            digest.update(chunk)
            out.write(chunk)
            if size is not None and total > size:
                # Hash what we have so the error can still show something; a
                # server that sends more than the signed size is wrong anyway.
                break
    return digest.hexdigest(), total


def download_verified(
    urls: Sequence[str],
    sha256: str,
    size: int | None,
    dest: str | os.PathLike[str],
    *,
    what: str | None = None,
    relock_hint: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """Downloads the first of `urls` whose content has `sha256` (and `size`) to `dest`.

    Tries the URLs in order. A URL that is unreachable or whose bytes do not
    match is skipped (a mismatch prints a warning); if none succeeds, raises one
    UserError: for mismatches it names the URL, expected and actual hash; when
    every URL answered 404 it says the version was probably superseded and
    names the re-lock command (`relock_hint`). Nothing is left at `dest` or
    beside it on failure. Returns the URL that was used.
    """
    if not urls:
        raise UserError(f"no URL to download {what or dest} from")
    sha256 = sha256.lower()
    dest = os.fspath(dest)
    directory = os.path.dirname(os.path.abspath(dest))
    label = what or os.path.basename(dest)
    failures: list[FetchError] = []
    mismatches: list[str] = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(dest), dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                actual, total = _stream_to(url, out, size, timeout)
            if size is not None and total != size:
                mismatches.append(
                    f"{url} has size {total if total <= size else f'> {size}'} and sha256 {actual}, "
                    f"expected size {size} and sha256 {sha256}"
                )
                print(f"warning: {label}: {mismatches[-1]}", file=sys.stderr)
                continue
            if actual != sha256:
                mismatches.append(f"{url} has sha256 {actual}, expected {sha256}")
                print(f"warning: {label}: {mismatches[-1]}", file=sys.stderr)
                continue
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
            tmp = ""
            return url
        except FetchError as e:
            failures.append(e)
        finally:
            if tmp:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)

    if mismatches:
        raise UserError(f"{label}: checksum mismatch: " + "; ".join(mismatches))
    if failures and all(f.not_found for f in failures):
        hint = relock_hint or "bazel run //toolchains/debian:<manifest>.lock"
        raise UserError(
            f"{label}: not found (HTTP 404) at any of {', '.join(urls)}; the version was probably "
            f"superseded on the mirror and removed; re-lock with `{hint}`"
        )
    raise UserError(f"{label}: download failed: " + "; ".join(str(f) for f in failures))


def download_lock_entry(entry: dict, dest: str | os.PathLike[str], *, lock_name: str,
                        timeout: float = DEFAULT_TIMEOUT) -> str:
    """Downloads one `packages` entry of a lock file, verified by its sha256 and size.

    `lock_name` (e.g. "jni_runtime") names the re-lock target in the error
    raised when every URL answers 404.
    """
    return download_verified(
        entry["urls"],
        entry["sha256"],
        entry["size"],
        dest,
        what=f"{entry['name']} {entry['version']} ({entry['architecture']})",
        relock_hint=f"bazel run //toolchains/debian:{lock_name}.lock",
        timeout=timeout,
    )
