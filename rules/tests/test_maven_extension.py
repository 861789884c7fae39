"""The maven extension in a real Bazel build: a workspace of its own locks a fixture repository
served on 127.0.0.1 with the real lock tool, then builds its hub. Checks the jars are the
published bytes, the java_import edges, the runtime closure .bzl, and that a mirror serving other
bytes fails the build with our message (naming artifact, lock, both sha256 and the fix).

Runs a second Bazel server (its own output base); needs the build environment's bazel.
"""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from tools.maven.maven_lock import lock_manifest
from tools.maven.tests.mavenfixtures import FixtureRepository, dep, jar_bytes, write_manifest
from tools.testing.bazel_workspace import BazelWorkspace, bazel_or_none, java_truststore
from tools.testing.pki import make_pki, server_ssl_context
from tools.testing.static_server import serve

RUNFILES_RULES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "private")

MODULE = """\
module(name = "maven_fixture_workspace")

bazel_dep(name = "rules_java", version = "7.6.5")

# The build environment's rc overrides these modules; a root module must know them.
bazel_dep(name = "rules_pkg", version = "0.9.1", dev_dependency = True)
bazel_dep(name = "rules_shell", version = "0.4.0", dev_dependency = True)
bazel_dep(name = "stardoc", version = "0.8.1", dev_dependency = True)

maven = use_extension("//:maven_extension.bzl", "maven")
maven.lock(name = "fixture", lock = "//:fixture.lock.json")
use_repo(maven, "fixture")
"""

BUILD = """\
load("@fixture//:artifacts.bzl", "ARTIFACTS", "RUNTIME", "RUNTIME_FILES")
load("@rules_java//java:defs.bzl", "java_library")

exports_files(["fixture.lock.json"])

genrule(
    name = "closure",
    srcs = RUNTIME_FILES,
    outs = ["closure.txt"],
    cmd = "echo " + " ".join(RUNTIME) + " > $@; echo " + ARTIFACTS["t:app"]["sha256"] + " >> $@; " +
          "for f in $(SRCS); do sha256sum $$f >> $@; done",
)

# A production target that reaches a test-scoped artifact.
java_library(
    name = "leaks_a_test_jar",
    runtime_deps = ["@fixture//:t_junitish"],
)
"""


@pytest.fixture(scope="module")
def bazel():
    path = bazel_or_none()
    if path is None:
        pytest.skip("bazel is not on PATH: run this test in the build environment (./scripts/buildenv/run.sh)")
    return path


def test_hub_builds_published_bytes_and_a_mismatch_fails_clearly(bazel, tmp_path):
    repository = FixtureRepository(str(tmp_path / "repo"))
    repository.artifact("t:app:1", dep("t:lib:1"), dep("t:tool:1", scope="test"))
    repository.artifact("t:lib:1")
    repository.artifact("t:junitish:1")
    repository.pom("t:natives:1")
    repository.jar("t:natives:1", classifier="linux-x86_64")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    for name in ("maven_extension.bzl", "maven_repositories.bzl", "locked_file.bzl", "providers.bzl"):
        shutil.copy(os.path.join(RUNFILES_RULES, name), workspace / name)
    (workspace / "MODULE.bazel").write_text(MODULE)
    (workspace / "BUILD.bazel").write_text(BUILD)
    (workspace / ".bazelrc").write_text("common --enable_bzlmod\ncommon --noenable_workspace\n")

    pki = make_pki(str(tmp_path / "pki"))
    truststore = java_truststore(pki.ca_cert, str(tmp_path / "truststore.p12"))
    with serve(repository.root, tls=server_ssl_context(pki)) as url:
        manifest = write_manifest(str(workspace / "fixture.toml"), repositories=[url], dependencies=[
            "t:app:1", {"coordinates": "t:natives:1", "classifier": "linux-x86_64"},
            {"coordinates": "t:junitish:1", "scope": "test"}])
        lock = lock_manifest(manifest, str(workspace / "fixture.lock.json"), ca_file=pki.ca_cert)
        ws = BazelWorkspace(str(workspace), str(tmp_path / "bazel"), bazel=bazel, truststore=truststore)
        try:
            cache = str(tmp_path / "repository-cache")
            built = ws.run("build", "//:closure", "@fixture//:t_app", "@fixture//:t_junitish", repository_cache=cache)
            assert built.returncode == 0, built.stderr[-4000:]
            closure = (workspace / "bazel-bin" / "closure.txt").read_text().splitlines()
            assert closure[0] == "t:app t:lib t:natives:jar:linux-x86_64"
            assert closure[1] == lock["artifacts"]["t:app"]["sha256"]
            served = {
                hashlib.sha256(open(repository.path(*c), "rb").read()).hexdigest()
                for c in (("t", "app", "1"), ("t", "lib", "1"), ("t", "natives", "1", "jar", "linux-x86_64"))
            }
            assert {line.split()[0] for line in closure[2:]} == served  # the published bytes
            assert {os.path.basename(line.split()[1]) for line in closure[2:]} == {
                "app-1.jar", "lib-1.jar", "natives-1-linux-x86_64.jar"}
            leak = ws.run("build", "//:leaks_a_test_jar", repository_cache=cache)
            assert leak.returncode != 0
            assert "non-test target '//:leaks_a_test_jar' depends on testonly target '@@_main~maven~fixture//:t_junitish'" \
                in leak.stderr, leak.stderr[-2000:]
            query = ws.run("query", "deps(@fixture//:t_app, 1)", "--output=label", repository_cache=cache)
            assert query.returncode == 0, query.stderr[-2000:]
            assert "@fixture//:t_lib" in query.stdout.split()
            assert "@fixture//:t_junitish" not in query.stdout.split()

            # The mirror now serves other bytes for lib; with the fetched repositories gone and a fresh
            # repository cache, Bazel has to download them.
            evil = jar_bytes("evil")
            with open(repository.path("t", "lib", "1"), "wb") as f:
                f.write(evil)
            assert ws.run("clean", "--expunge", repository_cache=cache).returncode == 0
            failed = ws.run("build", "@fixture//:t_lib.jar", repository_cache=str(tmp_path / "fresh-cache"))
            assert failed.returncode != 0
            expected = lock["artifacts"]["t:lib"]["sha256"]
            message = (
                f"maven artifact t:lib:1 (lib-1.jar) does not match the lock //:fixture.lock.json: expected sha256 "
                f"{expected}, got {hashlib.sha256(evil).hexdigest()} from {url}t/lib/1/lib-1.jar. If the artifact "
                "was re-published, re-lock with `bazel run //:fixture.lock` and review the change; otherwise check "
                "the mirror or proxy that served it (e.g. a --downloader_config rewrite)."
            )
            assert message in failed.stderr, failed.stderr[-4000:]
            # Bazel's own checksum text is left in one warning line; every error names the
            # artifact, the lock and the fix (Bazel repeats a fetch failure for each dependant).
            stock = [line for line in failed.stderr.splitlines() if "Checksum was" in line]
            assert len(stock) == 1 and stock[0].startswith("WARNING: Download from "), stock
            errors = [line for line in failed.stderr.splitlines() if line.startswith("ERROR:") and "t_lib__1" in line
                      and "An error occurred during the fetch" not in line]  # a traceback's heading
            assert errors and all(message in line for line in errors), errors
        finally:
            ws.shutdown()
