"""Answering registry auth challenges: Basic, and Bearer tokens from the registry's token server.

Secrets live only in `Credentials` and in the Authorization header value held here; no message
built in this module includes either.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import urllib.parse
from typing import Callable, Mapping, Sequence

from tools.registry.docker_config import Credentials
from tools.registry.errors import AuthError, RegistryError
from tools.registry.transport import BytesBody, Response

_CLIENT_ID = "reproimage-registry-client"
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|({_TOKEN}))\s*(?:,|$)')
_SCHEME = re.compile(rf"\s*,?\s*({_TOKEN})(?:\s+|$)")


@dataclasses.dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "basic", "bearer", ...
    params: Mapping[str, str]


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Parses WWW-Authenticate values (RFC 7235), including several challenges in one value."""
    challenges: list[Challenge] = []
    for value in values:
        pos = 0
        while pos < len(value):
            m = _SCHEME.match(value, pos)
            if not m:
                break
            scheme, pos = m.group(1).lower(), m.end()
            params: dict[str, str] = {}
            while pos < len(value):
                p = _PARAM.match(value, pos)
                if not p:
                    break
                raw = p.group(2)
                params[p.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw) if raw is not None else p.group(3)
                pos = p.end()
            challenges.append(Challenge(scheme, params))
            if pos < len(value) and not _SCHEME.match(value, pos):
                break
    return challenges


# Sends a request without registry auth headers but with the client's retries:
# (method, url, headers, body) -> Response.
Fetch = Callable[[str, str, Mapping[str, str], BytesBody | None], Response]


class Authenticator:
    """Holds the Authorization header for one registry and repository, refreshing it on challenge."""

    def __init__(self, registry: str, repository_path: str, credentials: Credentials | None, fetch: Fetch,
                 config_hint: str, pull_from: Sequence[str] = (), push: bool = True) -> None:
        self._registry = registry
        # Pull access to the repositories blobs are mounted from goes into the same token; a
        # client that only reads asks for no more than pull.
        self._scopes = [f"repository:{repository_path}:{'pull,push' if push else 'pull'}"] + [
            f"repository:{path}:pull" for path in dict.fromkeys(pull_from) if path != repository_path]
        self._credentials = credentials
        self._fetch = fetch
        self._config_hint = config_hint  # e.g. "$DOCKER_CONFIG (/tmp/x/config.json)"
        self._header: str | None = None
        self.scheme: str | None = None

    @property
    def authorization(self) -> str | None:
        return self._header

    def _who(self) -> str:
        c = self._credentials
        if c is None:
            return "anonymous"
        return f"user {c.username!r}" if c.username else "identity token"

    def refused(self, status: int, by: str, detail: str = "") -> AuthError:
        c = self._credentials
        detail = f" ({detail})" if detail else ""
        if c is None:
            return AuthError(
                f"authentication required ({status}) by {by}{detail} and no credentials for {self._registry} "
                f"were found in {self._config_hint}: run `docker login {self._registry}` or pass --docker_config"
            )
        return AuthError(
            f"authentication refused ({status}) by {by}{detail} for {self._who()}: check DOCKER_CONFIG/credentials "
            f"(they came from {c.source})"
        )

    def answer(self, response: Response) -> None:
        """Sets a new Authorization header from a 401's challenge, or raises AuthError."""
        challenges = parse_challenges(response.headers.get_all("WWW-Authenticate") or [])
        by_scheme = {c.scheme: c for c in challenges}
        if "bearer" in by_scheme:
            self._bearer(by_scheme["bearer"])
        elif "basic" in by_scheme:
            self._basic()
        elif challenges:
            names = ", ".join(sorted(by_scheme))
            raise AuthError(f"the registry {self._registry} asks for unsupported authentication ({names})")
        else:
            raise self.refused(response.status, f"the registry {self._registry}", "no WWW-Authenticate challenge")

    def _basic_header(self) -> str | None:
        c = self._credentials
        if c is None or not c.has_password:
            return None
        return "Basic " + base64.b64encode(f"{c.username}:{c.password}".encode("utf-8")).decode("ascii")

    def _basic(self) -> None:
        header = self._basic_header()
        if header is None:
            if self._credentials is not None and self._credentials.identity_token:
                raise AuthError(
                    f"the registry {self._registry} wants Basic auth but only an identity token was found "
                    f"(from {self._credentials.source}); log in with a username and password"
                )
            raise self.refused(401, f"the registry {self._registry}")
        self.scheme = "basic"
        self._header = header

    def _bearer(self, challenge: Challenge) -> None:
        realm = challenge.params.get("realm")
        if not realm:
            raise AuthError(f"the registry {self._registry} sent a Bearer challenge without a realm")
        error = challenge.params.get("error", "")
        if error == "insufficient_scope" and self.scheme == "bearer":
            raise AuthError(
                f"the token for {self._who()} does not grant {challenge.params.get('scope') or 'push'} "
                f"access (insufficient_scope): ask for push rights or check the repository name"
            )
        scopes = list(self._scopes)
        extra = challenge.params.get("scope")
        if extra:
            scopes += [s for s in extra.split(" ") if s and s not in scopes]
        service = challenge.params.get("service")
        c = self._credentials
        if c is not None and c.identity_token:
            token = self._token_by_refresh(realm, service, scopes, c.identity_token)
        else:
            token = self._token_by_get(realm, service, scopes)
        self.scheme = "bearer"
        self._header = "Bearer " + token

    def _token_by_get(self, realm: str, service: str | None, scopes: list[str]) -> str:
        query: list[tuple[str, str]] = []
        if service:
            query.append(("service", service))
        query += [("scope", s) for s in scopes]
        headers = {"Accept": "application/json"}
        basic = self._basic_header()
        if basic:
            headers["Authorization"] = basic
            query.append(("account", self._credentials.username))  # type: ignore[union-attr]
        url = realm + ("&" if urllib.parse.urlsplit(realm).query else "?") + urllib.parse.urlencode(query)
        return self._token_from(self._fetch("GET", url, headers, None), realm)

    def _token_by_refresh(self, realm: str, service: str | None, scopes: list[str], refresh_token: str) -> str:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": _CLIENT_ID,
            "scope": " ".join(scopes),
        }
        if service:
            form["service"] = service
        body = BytesBody(urllib.parse.urlencode(form).encode("ascii"))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        return self._token_from(self._fetch("POST", realm, headers, body), realm)

    def _token_from(self, response: Response, realm: str) -> str:
        where = f"the token server {_realm_origin(realm)}"
        if response.status in (401, 403):
            raise self.refused(response.status, where)
        if response.status != 200:
            raise RegistryError(f"{where} answered {response.status} {response.reason} to a token request")
        try:
            answer = json.loads(response.body)
            token = answer.get("token") or answer.get("access_token")
        except (ValueError, AttributeError):
            raise RegistryError(f"{where} answered with something that is not a JSON token") from None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{where} answered without a token")
        return token


def _realm_origin(realm: str) -> str:
    parts = urllib.parse.urlsplit(realm)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
