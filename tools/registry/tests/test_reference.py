"""Repository and tag parsing, Docker Hub naming, and what counts as loopback."""

from __future__ import annotations

import pytest

from tools.common.errors import UserError
from tools.registry.reference import is_loopback, parse_repository, validate_tag


@pytest.mark.parametrize("text, registry, path, api_host", [
    ("registry.example.com/team/app", "registry.example.com", "team/app", "registry.example.com"),
    ("127.0.0.1:5000/app", "127.0.0.1:5000", "app", "127.0.0.1:5000"),
    ("Localhost/a/b/c", "localhost", "a/b/c", "localhost"),
    ("[::1]:5000/app", "[::1]:5000", "app", "[::1]:5000"),
    ("docker.io/nginx", "docker.io", "library/nginx", "registry-1.docker.io"),
    ("index.docker.io/me/app", "docker.io", "me/app", "registry-1.docker.io"),
])
def test_parse_repository(text, registry, path, api_host):
    repo = parse_repository(text)
    assert (repo.registry, repo.path, repo.api_host) == (registry, path, api_host)
    assert str(repo) == f"{registry}/{path}"


@pytest.mark.parametrize("text, message", [
    ("team/app", "not a registry host"),
    ("app", "expected HOST[:PORT]/PATH"),
    ("https://r.example/app", "without a scheme"),
    ("r.example/app:v1", "must not contain a tag"),
    ("r.example/app@sha256:" + "a" * 64, "must not contain a digest"),
    ("r.example/App", "path component 'App' is invalid"),
    ("r.example/a//b", "path component '' is invalid"),
])
def test_parse_repository_rejects(text, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_repository(text)


def test_port_with_path_tag_lookalike_is_not_a_tag():
    assert parse_repository("r.example:443/app").path == "app"


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), ("x.localhost", True),
    ("192.0.2.1", False), ("10.0.0.1", False), ("registry.example.com", False), ("localhost.example.com", False),
    ("::2", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("tag", ["latest", "v1.2.3", "_x", "A-b_c.d", "x" * 128])
def test_valid_tags(tag):
    assert validate_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", "-x", ".x", "a/b", "a:b", "x" * 129, "sha256:" + "a" * 64])
def test_invalid_tags(tag):
    with pytest.raises(UserError):
        validate_tag(tag)
