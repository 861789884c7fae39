"""OCI distribution API v2 client: pushing blobs (monolithic or chunked) and manifests, pulling
them (manifests by tag or digest, blobs streamed to a file), and the referrers of a manifest.

Bytes go out exactly as given; after every upload we check the digest the registry reports
against the one we computed, so a registry can never silently store something else. What comes
in is checked the same way: a manifest asked for by digest, and every blob, must hash to it.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import hashlib
import json
import os
import sys
import time
import urllib.parse
from typing import Any, Callable, Mapping, Sequence, TypeVar

from tools.common.digest import sha256_digest
from tools.registry.auth import Authenticator
from tools.registry.docker_config import Credentials
from tools.registry.errors import AuthError, RegistryError, TransientError
from tools.registry.reference import Repository
from tools.registry.transport import (
    Body,
    BytesBody,
    FileSectionBody,
    Response,
    Transport,
    add_query,
    origin_of,
    resolve_location,
)

DEFAULT_CHUNK_SIZE = 64 << 20
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_ACCEPT = (
    "application/vnd.oci.image.manifest.v1+json",
    OCI_INDEX,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
T = TypeVar("T")
_OCTET_STREAM = "application/octet-stream"


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff without jitter, so behaviour (and tests) are predictable; a
    registry's Retry-After wins over a shorter backoff. No wait exceeds `max_delay`."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, failed_attempt: int, asked: float | None = None) -> float:
        backoff = self.base_delay * (2 ** (failed_attempt - 1))
        return min(backoff if asked is None else max(backoff, asked), self.max_delay)


def _retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def retry_after(value: str | None, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _transient(response: Response) -> TransientError:
    detail = _registry_errors(response)
    return TransientError(f"registry answered {response.status} {response.reason}" + (f" ({detail})" if detail else ""),
                          retry_after=retry_after(response.header("Retry-After")))


def _registry_errors(response: Response) -> str:
    """`CODE: message` of the first error in a distribution error body, if any, on one line."""
    try:
        errors = json.loads(response.body).get("errors") or []
        first = errors[0]
        text = f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except (ValueError, AttributeError, IndexError, TypeError):
        text = ""
    return " ".join(text.split())[:300]


@dataclasses.dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    data: bytes  # exactly as served


def referrers_tag(digest: str) -> str:
    """The referrers tag scheme's tag for a manifest digest: `sha256-<hex>` (OCI distribution 1.1)."""
    algorithm, _, hex_digest = digest.partition(":")
    return f"{algorithm}-{hex_digest}"


def _index_manifests(data: bytes, what: str) -> list[dict[str, Any]]:
    try:
        body = json.loads(data)
        manifests = body["manifests"] if isinstance(body, dict) else None
    except (ValueError, KeyError):
        manifests = None
    if not isinstance(manifests, list) or not all(
            isinstance(m, dict) and isinstance(m.get("digest"), str) for m in manifests):
        raise RegistryError(f"{what} is not an image index of descriptors")
    return manifests


class RegistryClient:
    def __init__(
        self,
        repository: Repository,
        transport: Transport,
        credentials: Credentials | None,
        *,
        config_hint: str = "the Docker config",
        retry: RetryPolicy = RetryPolicy(),
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
        pull_from: Sequence[str] = (),
        push: bool = True,
    ) -> None:
        """`pull_from`: other repositories (paths on the same registry) blobs may be mounted from;
        a bearer token is asked for with pull access to them too. `push=False`: a client that only
        reads (asks for pull access only)."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.repository = repository
        self._transport = transport
        self._retry = retry
        self._chunk_size = chunk_size
        self._log = log
        scheme = transport.scheme_for(repository.hostname)
        self._base = f"{scheme}://{repository.api_host}"
        self._origin = origin_of(self._base)
        self._push = push
        self.auth = Authenticator(repository.registry, repository.path, credentials, self._fetch, config_hint,
                                  pull_from, push)

    # -- request plumbing -------------------------------------------------------------------

    def _url(self, suffix: str, path: str | None = None) -> str:
        return f"{self._base}/v2/{path or self.repository.path}/{suffix}"

    def _send(self, method: str, url: str, headers: Mapping[str, str], body: Body | None) -> Response:
        return self._transport.send(method, url, headers, body)

    def _fetch(self, method: str, url: str, headers: Mapping[str, str], body: BytesBody | None) -> Response:
        """For the token server: retries, no registry Authorization header."""
        return self._with_retries(lambda: self._send(method, url, headers, body), "requesting a token")

    def _retrying(self, attempt: Callable[[], T], what: str) -> T:
        """The one retry loop: `attempt` again after each TransientError, with backoff (or the wait
        the registry asked for), until the policy's attempts are used up; anything else passes
        through at once."""
        failures = 0
        while True:
            try:
                return attempt()
            except TransientError as error:
                failures += 1
                if failures >= self._retry.attempts:
                    # Not transient any more: a loop around this one must not spend its attempts again.
                    raise RegistryError(f"{what}: {error} (gave up after {failures} attempts)") from None
                delay = self._retry.delay(failures, error.retry_after)
                asked = ""
                if error.retry_after is not None:
                    asked = f" (the registry asked for {error.retry_after:g}s with Retry-After"
                    if error.retry_after > self._retry.max_delay:
                        asked += f"; waiting at most --max_retry_delay={self._retry.max_delay:g}s"
                    asked += ")"
                self._log(f"retrying {what} in {delay:g}s{asked}: {error}")
                self._retry.sleep(delay)

    def _with_retries(self, attempt: Callable[[], Response], what: str) -> Response:
        """Retries 5xx, 429 and connection failures; any other answer (4xx included) is returned."""

        def once() -> Response:
            response = attempt()
            if _retryable_status(response.status):
                raise _transient(response)
            return response

        return self._retrying(once, what)

    def _request(self, method: str, url: str, headers: Mapping[str, str] | None = None,
                 body: Body | None = None) -> Response:
        """One registry request with the current credentials; answers one 401 challenge by re-sending.

        Transient failures are returned/raised to the caller, which decides what to retry.
        """
        for challenged in (False, True):
            all_headers = dict(headers or {})
            # Credentials go only to the registry's own origin, never to a storage redirect.
            if self.auth.authorization and origin_of(url) == self._origin:
                all_headers["Authorization"] = self.auth.authorization
            response = self._send(method, url, all_headers, body)
            if response.status != 401 or origin_of(url) != self._origin:
                return response
            if challenged:
                raise self.auth.refused(401, f"the registry {self.repository.registry}")
            self.auth.answer(response)
        raise AssertionError("unreachable")

    def _retried_request(self, method: str, url: str, what: str, headers: Mapping[str, str] | None = None,
                         body: Body | None = None) -> Response:
        return self._with_retries(lambda: self._request(method, url, headers, body), what)

    def _failure(self, response: Response, what: str) -> RegistryError:
        detail = _registry_errors(response)
        code = detail.split(":", 1)[0] if detail else ""
        suffix = f" ({detail})" if detail else ""
        if response.status == 403:
            rights = "push" if self._push else "pull"
            return AuthError(f"access denied (403) while {what}{suffix}: the credentials lack {rights} rights to "
                             f"{self.repository}")
        if response.status == 404 and code == "NAME_UNKNOWN":
            return RegistryError(f"repository {self.repository.path} not found on {self.repository.registry}"
                                 f"{suffix}: create it first or check --repository")
        if response.status == 405:
            return RegistryError(f"the registry does not accept pushes (405) while {what}{suffix}")
        return RegistryError(f"registry answered {response.status} {response.reason} while {what}{suffix}")

    # -- API --------------------------------------------------------------------------------

    def ping(self) -> None:
        """GET /v2/: checks the API is there and obtains credentials before any upload."""
        url = f"{self._base}/v2/"
        response = self._retried_request("GET", url, "checking the registry API at /v2/")
        if response.status == 401:
            self.auth.answer(response)
            response = self._retried_request("GET", url, "checking the registry API at /v2/")
            if response.status == 401:
                raise self.auth.refused(401, f"the registry {self.repository.registry}")
        if response.status == 200:
            return
        if response.status == 400 and b"HTTPS server" in response.body:
            raise RegistryError(f"{self.repository.registry} speaks HTTPS: drop --plain_http")
        if response.status == 404:
            raise RegistryError(f"{self.repository.registry} does not serve the registry API at /v2/ (404)")
        raise self._failure(response, "checking the registry API at /v2/")

    def blob_exists(self, digest: str, path: str | None = None) -> bool:
        """Whether the repository (or the repository `path` on the same registry) holds `digest`."""
        url = self._url(f"blobs/{digest}", path)
        what = f"checking blob {digest}" + (f" in {path}" if path else "")
        for _ in range(5):  # follow storage redirects, without credentials (see _request)
            response = self._retried_request("HEAD", url, what)
            if response.status in (301, 302, 303, 307, 308) and response.header("Location"):
                url = resolve_location(url, response.header("Location") or "")
                continue
            if response.status == 200:
                return True
            if response.status == 404:
                return False
            raise self._failure(response, what)
        raise RegistryError(f"too many redirects while {what}")

    def upload_blob(self, digest: str, path: str, size: int, mount_from: str | None = None) -> bool:
        """Stores `size` bytes of `path` as `digest`; a failed session is restarted from scratch.

        With `mount_from` (a repository path on the same registry) the registry is first asked to
        mount the blob from there (`POST ...?mount=<digest>&from=<path>`). Returns True when the
        registry stored the blob without receiving its bytes.
        """
        what = f"uploading blob {digest}"
        return self._retrying(lambda: self._upload_once(digest, path, size, what, mount_from), what)

    def _check(self, response: Response, expected: tuple[int, ...], what: str) -> Response:
        if response.status in expected:
            return response
        if _retryable_status(response.status):
            raise _transient(response)
        if (response.status == 400 and what.startswith("uploading blob")
                and _registry_errors(response).startswith("DIGEST_INVALID")):
            raise RegistryError(f"the registry computed a different digest for the bytes of {what.split()[-1]}: "
                                "the blob file in the layout is corrupt; rebuild the image")
        raise self._failure(response, what)

    def _location(self, response: Response, what: str) -> str:
        location = response.header("Location")
        if not location:
            raise RegistryError(f"registry answered {response.status} without a Location header while {what}")
        return resolve_location(response.url, location)

    def _start_upload(self, digest: str, what: str, mount_from: str | None) -> Response:
        """POSTs an upload session, asking for a mount first: 201 (stored) or 202 (go on uploading)."""
        if mount_from:
            url = add_query(self._url("blobs/uploads/"), mount=digest, **{"from": mount_from})
            try:
                response = self._request("POST", url)
            except AuthError as e:
                response, why = None, str(e)
            else:
                if response.status in (201, 202) or _retryable_status(response.status):
                    return self._check(response, (201, 202), what)
                why = f"{response.status} {response.reason}"
            # Refused (no pull access there, a registry without mounts): a plain upload still works.
            self._log(f"cannot mount {digest} from {mount_from} ({why}); uploading it")
        return self._check(self._request("POST", self._url("blobs/uploads/")), (201, 202), what)

    def _upload_once(self, digest: str, path: str, size: int, what: str, mount_from: str | None) -> bool:
        response = self._start_upload(digest, what, mount_from)
        if response.status == 201:
            # Mounted, or some registries find the blob themselves: verify what they say they hold.
            reported = response.header("Docker-Content-Digest")
            if reported and reported != digest:
                raise RegistryError(f"registry stored blob {reported} while {what}; refusing to continue")
            return True
        location = self._location(response, what)
        if size <= self._chunk_size:
            response = self._request("PUT", add_query(location, digest=digest),
                                     {"Content-Type": _OCTET_STREAM}, FileSectionBody(path, 0, size))
        else:
            offset = 0
            while offset < size:
                length = min(self._chunk_size, size - offset)
                end = offset + length - 1
                response = self._check(
                    self._request("PATCH", location,
                                  {"Content-Type": _OCTET_STREAM, "Content-Range": f"{offset}-{end}"},
                                  FileSectionBody(path, offset, length)),
                    (202,), what)
                received = response.header("Range")
                if received and received.strip() not in (f"0-{end}", f"bytes=0-{end}"):
                    raise TransientError(f"registry holds range {received} after sending bytes 0-{end}")
                location = self._location(response, what)
                offset += length
            response = self._request("PUT", add_query(location, digest=digest))
        self._check(response, (201, 204), what)
        reported = response.header("Docker-Content-Digest")
        if reported and reported != digest:
            raise RegistryError(f"registry stored blob {reported} while {what}; refusing to continue")
        return False

    def put_manifest(self, reference: str, data: bytes, media_type: str) -> str:
        """PUTs the manifest bytes unchanged; returns the digest, verified against the registry's."""
        return self.push_manifest(reference, data, media_type)[0]

    def push_manifest(self, reference: str, data: bytes, media_type: str) -> tuple[str, Response]:
        """`put_manifest`, with the registry's answer (its `OCI-Subject` header says whether it
        indexed the manifest's subject for the referrers API)."""
        digest = sha256_digest(data)
        what = f"putting manifest {reference}"
        url = self._url(f"manifests/{urllib.parse.quote(reference, safe=':')}")
        response = self._retried_request("PUT", url, what, {"Content-Type": media_type}, BytesBody(data))
        self._check(response, (200, 201, 202), what)
        reported = response.header("Docker-Content-Digest")
        if reported is None:
            # Some registries omit the header; read the manifest back and hash what they serve.
            back = self._retried_request("GET", url, f"reading back manifest {reference}", {"Accept": media_type})
            self._check(back, (200,), f"reading back manifest {reference}")
            reported = sha256_digest(back.body)
        if reported != digest:
            raise RegistryError(
                f"registry reports digest {reported} for manifest {reference} but we sent {digest}: "
                "the registry rewrote the manifest; refusing to publish"
            )
        return digest, response

    # -- pulling ----------------------------------------------------------------------------

    def get_manifest(self, reference: str, accept: Sequence[str] = MANIFEST_ACCEPT) -> Manifest | None:
        """The manifest `reference` (a tag or a digest) names, byte for byte, or None if there is
        none. By digest, the bytes must hash to it; by tag, the registry's Docker-Content-Digest (if
        it sends one) must be their hash."""
        what = f"reading manifest {reference}"
        url = self._url(f"manifests/{urllib.parse.quote(reference, safe=':')}")
        response = self._retried_request("GET", url, what, {"Accept": ", ".join(accept)})
        if response.status == 404:  # MANIFEST_UNKNOWN, or NAME_UNKNOWN: no repository, so no manifest
            return None
        self._check(response, (200,), what)
        digest = sha256_digest(response.body)
        expected = reference if reference.startswith("sha256:") else response.header("Docker-Content-Digest")
        if expected and expected != digest:
            raise RegistryError(f"the registry served manifest bytes with digest {digest} for {reference}"
                                f"{'' if expected == reference else ' (it said ' + expected + ')'}: refusing them")
        media_type = (response.header("Content-Type") or "").split(";", 1)[0].strip()
        try:
            body = json.loads(response.body)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("mediaType"), str):
            media_type = body["mediaType"]
        return Manifest(digest, media_type, response.body)

    def fetch_blob(self, digest: str, dest: str, size: int | None = None) -> None:
        """Streams blob `digest` into the file `dest` (replaced on each attempt), checking size and
        sha256 before returning; a blob that fails the check is removed and never retried."""
        what = f"pulling blob {digest}"

        def once() -> None:
            hasher = hashlib.sha256()
            written = 0
            with open(dest, "wb") as out:
                def sink(piece: bytes) -> None:
                    nonlocal written
                    hasher.update(piece)
                    out.write(piece)
                    written += len(piece)

                url = self._url(f"blobs/{digest}")
                for _ in range(5):  # storage redirects, followed without credentials (see _request)
                    response = self._send_streamed(url, sink)
                    if response.status in (301, 302, 303, 307, 308) and response.header("Location"):
                        url = resolve_location(url, response.header("Location") or "")
                        continue
                    break
                else:
                    raise RegistryError(f"too many redirects while {what}")
                if response.status == 404:
                    raise RegistryError(f"the registry has no blob {digest} in {self.repository.path}")
                self._check(response, (200,), what)
            got = "sha256:" + hasher.hexdigest()
            if got != digest or (size is not None and written != size):
                os.unlink(dest)
                raise RegistryError(f"the registry served {written} bytes with digest {got} for blob {digest}"
                                    f"{'' if size is None else f' ({size} bytes expected)'}: refusing them")

        self._retrying(once, what)

    def _send_streamed(self, url: str, sink: Callable[[bytes], None]) -> Response:
        for challenged in (False, True):
            headers = {}
            if self.auth.authorization and origin_of(url) == self._origin:
                headers["Authorization"] = self.auth.authorization
            response = self._transport.send("GET", url, headers, None, sink)
            if _retryable_status(response.status):
                raise _transient(response)
            if response.status != 401 or origin_of(url) != self._origin or challenged:
                return response
            self.auth.answer(response)
        raise AssertionError("unreachable")

    def referrers_api(self, digest: str) -> list[dict[str, Any]] | None:
        """The referrers the registry's referrers API lists for `digest`, or None when it has no
        such API (it answers 404, as registries before OCI distribution 1.1 do)."""
        what = f"listing the referrers of {digest}"
        response = self._retried_request("GET", self._url(f"referrers/{digest}"), what,
                                         {"Accept": OCI_INDEX})
        if response.status in (404, 405, 400):
            return None
        self._check(response, (200,), what)
        return _index_manifests(response.body, f"the referrers API's answer for {digest}")

    def referrers_tag(self, digest: str) -> tuple[Manifest | None, list[dict[str, Any]]]:
        """The referrers tag scheme's index for `digest` (tag `sha256-<hex>`) and its entries."""
        index = self.get_manifest(referrers_tag(digest), (OCI_INDEX,))
        if index is None:
            return None, []
        return index, _index_manifests(index.data, f"the referrers index {referrers_tag(digest)}")
