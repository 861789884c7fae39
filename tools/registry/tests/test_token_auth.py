"""Bearer token flow against the real registry configured with `auth.token` and our token server."""

from __future__ import annotations

import json

import pytest

from tools.registry.tests import layouts, servers
from tools.registry.tests.conftest import auth_entry, skopeo_raw, write_docker_config
from tools.registry.tests.test_publish import assert_one_line_error, summary

CREDS = f"{servers.USER}:{servers.PASSWORD}"


@pytest.fixture
def token_repo(repo_name):
    return "tok/" + repo_name.split("/")[1]


def test_bearer_token_flow(cli, token_registry, token_server, pki, token_repo, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"),
                                 {"auths": {token_registry.host: auth_entry(servers.USER, servers.PASSWORD)}})
    layout = layouts.make_layout(str(tmp_path / "layout"), {"t": b"token"})
    token_server.requests.clear()
    proc = cli.run("--layout", layout["root"], "--repository", f"{token_registry.host}/{token_repo}",
                   "--tag", "v1", "--ca_file", pki.ca_cert, docker_config=config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{token_registry.host}/{token_repo}@{layout['manifest_digest']}\n"
    assert summary(proc.stderr) == (2, 0)
    # One token, asked for with our credentials, for push access to exactly this repository.
    assert token_server.requests == [{"method": "GET", "service": servers.TOKEN_SERVICE,
                                      "scopes": [f"repository:{token_repo}:pull,push"], "basic": True}]
    # The registry accepted the JWT (it verified the signature against its rootcertbundle).
    assert "authorized request" in token_registry.log()
    remote = skopeo_raw(pki, f"{token_registry.host}/{token_repo}:v1", creds=CREDS)
    assert remote == layout["manifest_bytes"]


def test_bearer_wrong_password(cli, token_registry, token_server, pki, token_repo, tmp_path):
    wrong = "n0t-the-Pa55word-for-tokens"
    config = write_docker_config(str(tmp_path / "docker"),
                                 {"auths": {token_registry.host: auth_entry(servers.USER, wrong)}})
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{token_registry.host}/{token_repo}",
                   "--ca_file", pki.ca_cert, docker_config=config)
    assert_one_line_error(proc, "authentication refused (401)", f"token server {token_server.realm}",
                          "user 'alice'")
    assert wrong not in proc.stderr and auth_entry(servers.USER, wrong)["auth"] not in proc.stderr


def test_bearer_token_without_push_rights(cli, token_registry, pki, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"),
                                 {"auths": {token_registry.host: auth_entry(servers.USER, servers.PASSWORD)}})
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{token_registry.host}/readonly/app",
                   "--ca_file", pki.ca_cert, docker_config=config)
    assert_one_line_error(proc, "insufficient_scope")


def test_identity_token_refresh_grant(cli, token_registry, token_server, pki, token_repo, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"),
                                 {"auths": {token_registry.host: {"identitytoken": token_server.REFRESH_TOKEN}}})
    layout = layouts.make_layout(str(tmp_path / "layout"), {"i": b"identity"})
    token_server.requests.clear()
    proc = cli.run("--layout", layout["root"], "--repository", f"{token_registry.host}/{token_repo}",
                   "--ca_file", pki.ca_cert, docker_config=config)
    assert proc.returncode == 0, proc.stderr
    assert [r["method"] for r in token_server.requests] == ["POST"]
    assert token_server.requests[0]["grant_type"] == "refresh_token"
    assert f"repository:{token_repo}:pull,push" in token_server.requests[0]["scopes"]
    assert token_server.REFRESH_TOKEN not in proc.stderr + proc.stdout

    bad = write_docker_config(str(tmp_path / "bad"), {"auths": {token_registry.host: {"identitytoken": "expired-xyz"}}})
    proc = cli.run("--layout", layout["root"], "--repository", f"{token_registry.host}/{token_repo}",
                   "--ca_file", pki.ca_cert, docker_config=bad)
    assert_one_line_error(proc, "authentication refused (401)", "identity token")
    assert "expired-xyz" not in proc.stderr


def test_anonymous_token_request_is_refused_with_login_hint(cli, token_registry, pki, token_repo, tmp_path):
    config = write_docker_config(str(tmp_path / "docker"), {})
    layout = layouts.make_layout(str(tmp_path / "layout"))
    proc = cli.run("--layout", layout["root"], "--repository", f"{token_registry.host}/{token_repo}",
                   "--ca_file", pki.ca_cert, docker_config=config)
    assert_one_line_error(proc, "authentication required (401)", f"docker login {token_registry.host}")


def test_mounts_ask_the_token_server_for_pull_access_to_the_source(cli, token_registry, token_server, pki, token_repo,
                                                                  tmp_path):
    """The second image's token covers the first one's repository, so the registry lets it mount;
    a candidate the user may not pull from is passed over, and the blob is uploaded instead."""
    config = write_docker_config(str(tmp_path / "docker"),
                                 {"auths": {token_registry.host: auth_entry(servers.USER, servers.PASSWORD)}})
    base = {"base.txt": b"shared base " + token_repo.encode()}
    a = layouts.make_layout(str(tmp_path / "a"), base)
    b = layouts.make_layout(str(tmp_path / "b"), {**base, "app.txt": b"app"})
    spec = tmp_path / "set.json"
    spec.write_text(json.dumps({"images": [
        {"layout": a["root"], "repository": f"{token_registry.host}/{token_repo}/a"},
        {"layout": b["root"], "repository": f"{token_registry.host}/{token_repo}/b"},
    ]}))
    token_server.requests.clear()
    proc = cli.run("--set", str(spec), "--mount_from", f"{token_registry.host}/readonly/app", "--ca_file", pki.ca_cert,
                   docker_config=config)
    assert proc.returncode == 0, proc.stderr
    scopes = [r["scopes"] for r in token_server.requests]
    assert scopes[0] == [f"repository:{token_repo}/a:pull,push", "repository:readonly/app:pull"]
    assert scopes[-1] == [f"repository:{token_repo}/b:pull,push", f"repository:{token_repo}/a:pull",
                          "repository:readonly/app:pull"]
    assert proc.stderr.count("not mounting from readonly/app: the token for user 'alice' does not grant") == 2
    shared = a["layer_digests"][0]
    assert f"mounting {shared} (" in proc.stderr and f"from {token_repo}/a" in proc.stderr
    assert "1 mounted from other repositories" in proc.stderr
    assert skopeo_raw(pki, f"{token_registry.host}/{token_repo}/b@{b['manifest_digest']}", creds=CREDS) == \
        b["manifest_bytes"]
