"""Credential lookup from real config.json files and real helper executables."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from tools.common.errors import UserError
from tools.registry import docker_config
from tools.registry.docker_config import ConfigLocation, locate_config, lookup
from tools.registry.reference import parse_repository
from tools.registry.tests.conftest import auth_entry, write_docker_config

HOST = "registry.example.com:5000"
REPO = parse_repository(f"{HOST}/team/app")


def location(directory: str) -> ConfigLocation:
    return ConfigLocation(os.path.join(directory, "config.json"), True, "--docker_config")


def creds(tmp_path, config: dict, repo=REPO):
    return lookup(repo, location(write_docker_config(str(tmp_path / "docker"), config)))


def test_auth_field(tmp_path):
    c = creds(tmp_path, {"auths": {HOST: auth_entry("bob", "pa:ss")}})
    assert (c.username, c.password) == ("bob", "pa:ss")  # only the first colon separates


def test_username_password_fields_and_identity_token(tmp_path):
    c = creds(tmp_path, {"auths": {HOST: {"username": "u", "password": "p"}}})
    assert (c.username, c.password, c.identity_token) == ("u", "p", "")
    c = creds(tmp_path, {"auths": {HOST: {"identitytoken": "tok"}}})
    assert (c.username, c.identity_token) == ("", "tok")


@pytest.mark.parametrize("key", [f"https://{HOST}", f"http://{HOST}/v1/", f"{HOST}/", f"{HOST.upper()}"])
def test_key_matching_ignores_scheme_and_path(tmp_path, key):
    assert creds(tmp_path, {"auths": {key: auth_entry("k", "v")}}).username == "k"


def test_exact_key_wins_and_other_hosts_do_not_match(tmp_path):
    config = {"auths": {f"https://{HOST}": auth_entry("loose", "x"), HOST: auth_entry("exact", "y"),
                        "registry.example.com": auth_entry("noport", "z")}}
    assert creds(tmp_path, config).username == "exact"
    assert creds(tmp_path, {"auths": {"registry.example.com": auth_entry("noport", "z")}}) is None


def test_docker_hub_uses_the_legacy_key(tmp_path):
    hub = parse_repository("docker.io/me/app")
    config = {"auths": {"https://index.docker.io/v1/": auth_entry("hubuser", "x")}}
    assert creds(tmp_path, config, hub).username == "hubuser"
    config = {"auths": {"registry-1.docker.io": auth_entry("alias", "x")}}
    assert creds(tmp_path, config, hub).username == "alias"


def test_stub_entry_means_no_credentials(tmp_path):
    assert creds(tmp_path, {"auths": {HOST: {}}}) is None


def _helper(tmp_path, monkeypatch, body: str, name: str = "t") -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return str(path)


def test_cred_helper_beats_auths(tmp_path, monkeypatch):
    log = tmp_path / "asked"
    _helper(tmp_path, monkeypatch, f'read s; echo "$s" > {log}; echo \'{{"Username":"h","Secret":"helper-secret-42"}}\'\n')
    c = creds(tmp_path, {"credHelpers": {HOST: "t"}, "auths": {HOST: auth_entry("file", "f")}})
    assert (c.username, c.password) == ("h", "helper-secret-42")
    assert log.read_text().strip() == HOST
    assert "docker-credential-t" in c.source and "helper-secret-42" not in repr(c) + str(c)


def test_helper_token_username_means_identity_token(tmp_path, monkeypatch):
    _helper(tmp_path, monkeypatch, 'echo \'{"Username":"<token>","Secret":"refresh"}\'\n')
    c = creds(tmp_path, {"credHelpers": {HOST: "t"}})
    assert (c.username, c.password, c.identity_token) == ("", "", "refresh")


def test_creds_store_not_found_falls_through_to_auths(tmp_path, monkeypatch):
    _helper(tmp_path, monkeypatch, 'echo "credentials not found in native keychain"; exit 1\n')
    c = creds(tmp_path, {"credsStore": "t", "auths": {HOST: auth_entry("file", "f")}})
    assert c.username == "file"


def test_failing_or_missing_helper_is_an_error(tmp_path, monkeypatch):
    _helper(tmp_path, monkeypatch, 'echo "keychain locked" >&2; exit 3\n')
    with pytest.raises(UserError, match=r"docker-credential-t failed .*exit 3.*keychain locked"):
        creds(tmp_path, {"credHelpers": {HOST: "t"}})
    with pytest.raises(UserError, match="docker-credential-absent.*not on PATH"):
        creds(tmp_path, {"credHelpers": {HOST: "absent"}})


def test_malformed_config_does_not_echo_its_content(tmp_path):
    directory = tmp_path / "docker"
    directory.mkdir()
    secret = base64.b64encode(b"user:topsecret").decode()
    (directory / "config.json").write_text('{"auths": {"h": {"auth": "' + secret + '"}} oops')
    with pytest.raises(UserError) as info:
        lookup(REPO, location(str(directory)))
    assert "not valid JSON" in str(info.value) and secret not in str(info.value)
    (directory / "config.json").write_text('{"auths": {"' + HOST + '": {"auth": "!!notbase64"}}}')
    with pytest.raises(UserError, match="not base64"):
        lookup(REPO, location(str(directory)))


def test_locate_config(tmp_path):
    assert locate_config(str(tmp_path), {}).path == str(tmp_path / "config.json")
    assert locate_config(str(tmp_path / "my.json"), {}).path == str(tmp_path / "my.json")
    found = locate_config(None, {"DOCKER_CONFIG": "/d", "HOME": "/h"})
    assert (found.path, found.explicit) == ("/d/config.json", False)
    assert locate_config(None, {"HOME": "/h"}).path == "/h/.docker/config.json"
    # An absent default config means anonymous; an absent explicit one is a mistake worth reporting.
    assert lookup(REPO, locate_config(None, {"HOME": str(tmp_path)})) is None
    with pytest.raises(UserError, match="does not exist"):
        lookup(REPO, locate_config(str(tmp_path / "nope"), {}))


def test_server_url():
    assert docker_config.server_url(parse_repository("docker.io/x")) == "https://index.docker.io/v1/"
    assert docker_config.server_url(REPO) == HOST
