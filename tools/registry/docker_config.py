"""Registry credentials from a Docker config file (`config.json`) and Docker credential helpers.

Lookup order for a registry host (first hit wins):
  1. `credHelpers[<host>]`: run `docker-credential-<helper> get`.
  2. `credsStore`: run `docker-credential-<store> get`; "not found" falls through.
  3. `auths[<host>]`: `auth` (base64 "user:password"), or `username`/`password`;
     `identitytoken` is kept for the OAuth2 refresh-token flow.
Keys match Docker's way: exact key first, then any key whose host (scheme and path stripped)
equals ours; Docker Hub is stored under `https://index.docker.io/v1/`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import shutil
import subprocess
from typing import Mapping

from tools.common.errors import UserError
from tools.common.json_file import load_json
from tools.registry.reference import DOCKER_HUB, DOCKER_HUB_CONFIG_KEY, Repository

_HELPER_TIMEOUT_SECONDS = 60
_HELPER_NOT_FOUND = "credentials not found"
# What Docker helpers return as Username when the secret is an identity (refresh) token.
_IDENTITY_TOKEN_USER = "<token>"


@dataclasses.dataclass(frozen=True)
class Credentials:
    username: str
    password: str = dataclasses.field(default="", repr=False)
    identity_token: str = dataclasses.field(default="", repr=False)
    source: str = ""  # where they came from, for error messages; never contains a secret

    def __repr__(self) -> str:  # the dataclass repr would be safe too; be explicit about it
        return f"Credentials(username={self.username!r}, source={self.source!r}, secret=<redacted>)"

    __str__ = __repr__

    @property
    def has_password(self) -> bool:
        return bool(self.username) and bool(self.password)


@dataclasses.dataclass(frozen=True)
class ConfigLocation:
    path: str  # the config.json file
    explicit: bool  # named by --docker_config: a missing file is then an error
    how: str  # "--docker_config", "$DOCKER_CONFIG" or "~/.docker"


def locate_config(flag_value: str | None, environ: Mapping[str, str]) -> ConfigLocation:
    """`--docker_config` (a directory or a config.json file), else $DOCKER_CONFIG, else ~/.docker."""
    if flag_value:
        path = flag_value
        if os.path.isdir(path) or not path.endswith(".json"):
            path = os.path.join(path, "config.json")
        return ConfigLocation(path, True, "--docker_config")
    if environ.get("DOCKER_CONFIG"):
        return ConfigLocation(os.path.join(environ["DOCKER_CONFIG"], "config.json"), False, "$DOCKER_CONFIG")
    home = environ.get("HOME") or os.path.expanduser("~")
    return ConfigLocation(os.path.join(home, ".docker", "config.json"), False, "~/.docker")


def _normalize_key(key: str) -> str:
    """Docker's ConvertToHostname: drop the scheme and any path, keep host[:port]."""
    key = key.strip()
    for scheme in ("https://", "http://"):
        if key.lower().startswith(scheme):
            key = key[len(scheme) :]
            break
    host = key.split("/", 1)[0].lower()
    if host in ("index.docker.io", "registry-1.docker.io"):
        return DOCKER_HUB
    return host


def server_url(repository: Repository) -> str:
    """The server address Docker uses for this registry in config keys and helper requests."""
    return DOCKER_HUB_CONFIG_KEY if repository.is_docker_hub else repository.registry


def _matching_keys(mapping: Mapping[str, object], repository: Repository) -> list[str]:
    exact = server_url(repository)
    keys = [exact] if exact in mapping else []
    keys += [k for k in mapping if k != exact and _normalize_key(k) == repository.registry]
    return keys


def _load(location: ConfigLocation) -> dict:
    if not os.path.lexists(location.path):
        if location.explicit:
            raise UserError(
                f"--docker_config: {location.path} does not exist; pass the directory holding config.json"
            )
        return {}
    # load_json reports a syntax error by position only: the text could be part of a secret.
    config = load_json(location.path, "Docker config")
    if not isinstance(config, dict):
        raise UserError(f"{location.path}: expected a JSON object")
    return config


def _from_auth_entry(entry: object, key: str, location: ConfigLocation) -> Credentials | None:
    source = f"{location.path} auths[{key!r}]"
    if not isinstance(entry, dict):
        raise UserError(f"{source}: expected an object")
    username = entry.get("username") or ""
    password = entry.get("password") or ""
    token = entry.get("identitytoken") or ""
    encoded = entry.get("auth")
    if encoded:
        try:
            decoded = base64.b64decode(str(encoded), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise UserError(f"{source}: \"auth\" is not base64 of user:password; run docker login again") from None
        user, sep, pw = decoded.partition(":")
        if not sep:
            raise UserError(f"{source}: \"auth\" does not decode to user:password; run docker login again")
        username, password = user, pw
    if not (username and password) and not token:
        return None  # a stub entry (as left by credential stores): no secret here
    return Credentials(str(username), str(password), str(token), source)


def _run_helper(helper: str, server: str, configured_by: str) -> Credentials | None:
    program = "docker-credential-" + helper
    executable = shutil.which(program)
    if executable is None:
        raise UserError(f"credential helper {program} (configured by {configured_by}) is not on PATH")
    try:
        proc = subprocess.run(
            [executable, "get"],
            input=server.encode("utf-8"),
            capture_output=True,
            timeout=_HELPER_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"credential helper {program} did not answer within {_HELPER_TIMEOUT_SECONDS}s") from None
    except OSError as e:
        raise UserError(f"credential helper {program} could not be run ({e.strerror})") from None
    if proc.returncode != 0:
        message = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip()
        if _HELPER_NOT_FOUND in message.lower():
            return None
        first_line = message.splitlines()[0][:200] if message else "no output"
        raise UserError(f"credential helper {program} failed for {server} (exit {proc.returncode}): {first_line}")
    try:
        answer = json.loads(proc.stdout)
        username, secret = answer.get("Username") or "", answer.get("Secret") or ""
    except (ValueError, AttributeError):
        raise UserError(f"credential helper {program} printed something that is not its JSON answer") from None
    if not isinstance(username, str) or not isinstance(secret, str):
        raise UserError(f"credential helper {program}: Username and Secret must be strings")
    if not secret:
        return None
    source = f"credential helper {program} ({configured_by})"
    if username == _IDENTITY_TOKEN_USER:
        return Credentials("", "", secret, source)
    return Credentials(username, secret, "", source)


def lookup(repository: Repository, location: ConfigLocation) -> Credentials | None:
    """Credentials for the repository's registry, or None for anonymous access."""
    config = _load(location)
    auths = config.get("auths") if isinstance(config.get("auths"), dict) else {}
    helpers = config.get("credHelpers") if isinstance(config.get("credHelpers"), dict) else {}
    server = server_url(repository)

    for key in _matching_keys(helpers, repository):
        helper = helpers[key]
        if isinstance(helper, str) and helper:
            return _run_helper(helper, server, f"credHelpers[{key!r}] in {location.path}")

    store = config.get("credsStore")
    if isinstance(store, str) and store:
        # `docker login` stores under the address it was given; try ours, then any matching auths key.
        for address in dict.fromkeys([server, *_matching_keys(auths, repository)]):
            found = _run_helper(store, address, f"credsStore in {location.path}")
            if found is not None:
                return found

    for key in _matching_keys(auths, repository):
        found = _from_auth_entry(auths[key], key, location)
        if found is not None:
            return found
    return None
