"""WWW-Authenticate parsing."""

from __future__ import annotations

from tools.registry.auth import parse_challenges


def test_bearer_with_quoted_params():
    [c] = parse_challenges(['Bearer realm="https://auth.example/token",service="registry.example",'
                            'scope="repository:a/b:pull,push"'])
    assert c.scheme == "bearer"
    assert c.params == {"realm": "https://auth.example/token", "service": "registry.example",
                        "scope": "repository:a/b:pull,push"}


def test_basic_and_error_params_and_escapes():
    [c] = parse_challenges(['Basic realm="say \\"hi\\""'])
    assert (c.scheme, c.params) == ("basic", {"realm": 'say "hi"'})
    [c] = parse_challenges(['Bearer realm="r", error="insufficient_scope", scope=plain'])
    assert c.params == {"realm": "r", "error": "insufficient_scope", "scope": "plain"}


def test_several_challenges_in_one_value_and_across_headers():
    challenges = parse_challenges(['Basic realm="a", Bearer realm="b",service="s"', "Negotiate"])
    assert [(c.scheme, dict(c.params)) for c in challenges] == [
        ("basic", {"realm": "a"}), ("bearer", {"realm": "b", "service": "s"}), ("negotiate", {})]


def test_garbage_yields_no_challenge():
    assert parse_challenges(['=== ,,, "']) == []
    assert parse_challenges([""]) == []
    [c] = parse_challenges(["Bearer"])
    assert (c.scheme, c.params) == ("bearer", {})  # no realm: the caller reports it
