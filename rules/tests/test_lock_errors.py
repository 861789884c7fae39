"""A bad lock fails the build with the project's one-line message, seen through a real Bazel.

A nested Bazel (the build environment's own, with its own output base) builds a small module
that depends on this one through its module extensions, with locks broken by hand: a package
whose download does not match its sha256 (deb.lock and deb.tree), a lock that is not JSON, an
entry with a bad field, and a pip lock with a garbage line read by rules_python's pip.parse.
Downloads come from an HTTPS server on 127.0.0.1 with a throw-away CA (tools/testing/pki.py) that
the nested Bazel trusts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

import pytest

from tools.testing.bazel_workspace import BazelWorkspace, bazel_or_none, java_truststore
from tools.testing.pki import make_pki, server_ssl_context
from tools.testing.static_server import serve

# The checkout this module comes from: runfiles are symlinks into it (the test runs unsandboxed).
WORKSPACE = os.path.dirname(os.path.realpath("MODULE.bazel"))

_MODULE = """\
module(name = "lock_errors_test")

bazel_dep(name = "reproimage")
local_path_override(module_name = "reproimage", path = "{workspace}")

# The build environment's rc overrides these modules, so they must be in the graph.
bazel_dep(name = "rules_pkg", version = "0.9.1")
bazel_dep(name = "stardoc", version = "0.8.1")
bazel_dep(name = "rules_python", version = "0.22.1")

deb = use_extension("@reproimage//rules:extensions.bzl", "deb")
deb.lock(name = "broken", lock = "//:broken.lock.json")
deb.tree(name = "broken_tree", lock = "//:broken.lock.json")
use_repo(deb, "broken", "broken_tree")

pip_lock = use_extension("@reproimage//rules:extensions.bzl", "pip_lock")
pip_lock.check(name = "checked", lock = "//:requirements_lock.txt", update = "bazel run //:requirements.update")
use_repo(pip_lock, "checked")

pip = use_extension("@rules_python//python/extensions:pip.bzl", "pip")
pip.parse(name = "nested_pypi", python_interpreter = "python3", requirements_lock = "@checked//:requirements_lock.txt")
use_repo(pip, "nested_pypi")
"""

_FIX = "re-lock it with `bazel run //:broken.lock` if the package really changed, or check the mirror or proxy that " \
       "served it"
_GOOD_PIP_LOCK = "six==1.16.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, pki):
    """The module that depends on this one, and a Bazel server of its own trusting the test CA."""
    bazel = bazel_or_none()
    if bazel is None:
        pytest.skip("bazel is not on PATH: run this test in the build environment (./scripts/buildenv/run.sh)")
    root = tmp_path_factory.mktemp("nested")
    (root / "ws").mkdir()
    ws = BazelWorkspace(str(root / "ws"), str(root / "out"), bazel=bazel,
                        truststore=java_truststore(pki.ca_cert, str(root / "truststore.p12")))
    ws.write({"MODULE.bazel": _MODULE.format(workspace=WORKSPACE), "BUILD.bazel": "exports_files([\"broken.lock.json\"])\n",
              "requirements_lock.txt": _GOOD_PIP_LOCK})
    yield ws
    ws.shutdown()


def _build(ws: BazelWorkspace, target: str, **files: str) -> str:
    """Writes `files` (`__` for `.` in their names), builds `target`, which must fail: Bazel's output."""
    ws.write({name.replace("__", "."): content for name, content in files.items()})
    cache = os.path.join(os.path.dirname(ws.root), "repository-cache")  # its own: nothing shared is touched
    proc = ws.run("build", "--noshow_progress", target, repository_cache=cache)
    assert proc.returncode != 0, proc.stderr
    return proc.stderr


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def mirror(tmp_path_factory, pki):
    """An HTTPS server: the "mirror" the broken lock points at."""
    directory = str(tmp_path_factory.mktemp("mirror"))
    with serve(directory, tls=server_ssl_context(pki)) as url:
        yield directory, url.rstrip("/")


def _lock(packages: list[dict]) -> str:
    return json.dumps({"lock_version": 1, "packages": packages}, indent=2, sort_keys=True) + "\n"


def _package(name: str, sha256: str, urls: list[str]) -> dict:
    return {"architecture": "all", "depends": [], "name": name, "sha256": sha256, "urls": urls, "version": "1.0-1"}


def _failure(output: str) -> str:
    """The message of the first `Error in fail:` line: what the user is told."""
    m = re.search(r"^Error in fail: (.*)$", output, re.M)
    assert m, output
    return m.group(1)


@pytest.mark.parametrize("target", ["@broken//:lockerr.deb", "@broken_tree//:files"])
def test_a_download_that_does_not_match_the_lock(workspace, mirror, target):
    directory, url = mirror
    served = b"not the package the lock was made from"
    with open(os.path.join(directory, "lockerr_1.0-1_all.deb"), "wb") as f:
        f.write(served)
    expected = hashlib.sha256(b"the package the lock was made from").hexdigest()
    dead = "https://127.0.0.1:9/lockerr_1.0-1_all.deb"  # a mirror that is down: the next one is asked
    output = _build(workspace, target, broken__lock__json=_lock([_package("lockerr", expected, [
        dead, f"{url}/lockerr_1.0-1_all.deb"])]))
    assert _failure(output) == (
        f"//:broken.lock.json: lockerr 1.0-1 (all): the download has sha256 {hashlib.sha256(served).hexdigest()}, "
        f"but the lock says {expected} (from {url}/lockerr_1.0-1_all.deb); {_FIX}")
    # Bazel's own words (naming neither the lock nor the package) are a warning at most.
    assert not re.search(r"^ERROR.*Checksum was", output, re.M), output
    # The bytes fetched only to say what they are went away with the failed fetch.
    left = [os.path.join(d, f) for d, _, files in os.walk(os.path.dirname(workspace.root)) for f in files
            if f.endswith(".unverified") or f.startswith("lockerr_1.0-1_all")]
    assert left == []


def test_a_package_no_mirror_serves(workspace):
    dead = "https://127.0.0.1:9/lockerr_1.0-1_all.deb"
    output = _build(workspace, "@broken//:lockerr.deb", broken__lock__json=_lock([_package("lockerr", "1" * 64, [dead])]))
    assert _failure(output) == (
        f"//:broken.lock.json: lockerr 1.0-1 (all): could not be downloaded from {dead}; check the network (or the "
        "mirror), or re-lock it with `bazel run //:broken.lock` if the files moved")


def test_a_plain_http_mirror_that_does_not_match(workspace, mirror):
    """Bazel fetches plain HTTP only with a hash to check: the message cannot say what was served."""
    directory, url = mirror
    output = _build(workspace, "@broken//:lockerr.deb", broken__lock__json=_lock([_package("lockerr", "2" * 64, [
        "http://127.0.0.1:9/lockerr_1.0-1_all.deb"])]))
    assert _failure(output) == (
        f"//:broken.lock.json: lockerr 1.0-1 (all): no mirror served it with the lock's sha256 {'2' * 64} "
        "(http://127.0.0.1:9/lockerr_1.0-1_all.deb): none answered, or one served other bytes (Bazel's warnings "
        "above say which); check the network and the mirror, or re-lock it with `bazel run //:broken.lock` if the "
        "package really changed")


def test_a_lock_that_is_not_json(workspace):
    text = _lock([_package("lockerr", "1" * 64, ["http://127.0.0.1:9/x.deb"])])
    broken = text.replace('"depends": [],', '"depends": []', 1)  # a comma lost in an edit
    line = broken[: broken.index('"depends": []')].count("\n") + 2  # where the parser notices: the next key
    output = _build(workspace, "@broken//:lockerr.deb", broken__lock__json=broken)
    assert re.fullmatch(rf"//:broken\.lock\.json: line {line} column \d+: not valid JSON \(Expecting ',' delimiter\); "
                        r"fix the file, or re-lock it with `bazel run //:broken\.lock`", _failure(output)), output
    assert "Error in decode" not in output


def test_a_lock_entry_with_a_bad_field(workspace):
    output = _build(workspace, "@broken//:lockerr.deb", broken__lock__json=_lock([_package(
        "lockerr", "not-a-sha256", ["http://127.0.0.1:9/x.deb"])]))
    assert _failure(output) == ("//:broken.lock.json: packages[0] (lockerr): 'sha256' must be 64 lower-case hex "
                                "digits; fix the file, or re-lock it with `bazel run //:broken.lock`")


def test_a_garbage_line_in_a_pip_lock_is_caught_before_rules_python_reads_it(workspace):
    output = _build(workspace, "@nested_pypi//:requirements.bzl", requirements_lock__txt=_GOOD_PIP_LOCK + "six=1.16.0\n")
    assert _failure(output) == (
        "//:requirements_lock.txt: line 3: `six=1.16.0` is not a pinned requirement (NAME==VERSION "
        "--hash=sha256:<64 hex digits>); fix the line, or re-lock with `bazel run //:requirements.update`")
    assert "pip_repository" not in output and "Traceback (most recent call last):\n  File \"/" not in output
