"""Every failure of the lock command: one line on stderr, exit status 1, the old lock untouched."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket

import pytest

from tools.maven.tests.mavenfixtures import bom_import, dep, jar_bytes, run_maven_lock

OLD_LOCK = b'{"lock_version": 1, "old": true}\n'


def _fail(site, manifest: str, *extra: str) -> str:
    """Runs the CLI on `manifest`, expects a clean failure; returns the message after the prefix."""
    lock = os.path.join(site.work, "out.lock.json")
    with open(lock, "wb") as f:
        f.write(OLD_LOCK)
    cache = os.path.join(site.work, "cache")
    proc = run_maven_lock("--manifest", manifest, "--lock", lock, f"--cache_dir={cache}", *extra)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("maven_lock: error: "), proc.stderr
    with open(lock, "rb") as f:
        assert f.read() == OLD_LOCK
    assert not [n for n in os.listdir(site.work) if n.startswith(".tmp")]
    # Whatever the cache holds was verified: its name is its SHA-1.
    for root, _, files in os.walk(cache):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                assert hashlib.sha1(f.read()).hexdigest() == name
    return lines[0][len("maven_lock: error: "):]


def test_unresolvable_direct_coordinate(site):
    site.repository.artifact("t:fine:1")
    manifest = site.manifest(["t:fine:1", "t:nope:1.0"])
    assert _fail(site, manifest) == (
        f"{manifest}: t:nope:1.0: its POM is not in any repository (tried {site.url}t/nope/1.0/nope-1.0.pom)"
    )


def test_unresolvable_transitive_coordinate_names_the_path(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1", dep("t:gone:2"))
    manifest = site.manifest(["t:a:1"])
    assert _fail(site, manifest) == (
        f"{manifest}: t:gone:2 (required by t:a:1 -> t:b:1): its POM is not in any repository "
        f"(tried {site.url}t/gone/2/gone-2.pom)"
    )


def test_missing_jar(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:pom-only:1"))
    r.pom("t:pom-only:1")
    manifest = site.manifest(["t:a:1"])
    assert _fail(site, manifest) == (
        f"{manifest}: t:pom-only:1 (required by t:a:1): the jar is not in any repository "
        f"(tried {site.url}t/pom-only/1/pom-only-1.jar)"
    )


def test_missing_parent_and_missing_bom(site):
    r = site.repository
    r.artifact("t:child:1", parent="t:parent:9")
    manifest = site.manifest(["t:child:1"])
    assert _fail(site, manifest) == (
        f"{manifest}: t:child:1: parent t:parent:9 of {site.url}t/child/1/child-1.pom: its POM is not in any "
        f"repository (tried {site.url}t/parent/9/parent-9.pom)"
    )
    manifest = site.manifest(["t:x:1"], boms=["t:bom:4"])
    assert _fail(site, manifest) == (
        f"{manifest}: BOM t:bom:4 imported by {manifest}: its POM is not in any repository "
        f"(tried {site.url}t/bom/4/bom-4.pom)"
    )


def test_tampered_jar_names_url_and_both_hashes(site):
    r = site.repository
    r.artifact("t:a:1")
    path = r.path("t", "a", "1")
    published = open(path + ".sha1").read()
    evil = jar_bytes("evil")
    with open(path, "wb") as f:
        f.write(evil)
    message = _fail(site, site.manifest(["t:a:1"]))
    assert message.endswith(
        f"{site.url}t/a/1/a-1.jar: the download's SHA-1 is {hashlib.sha1(evil).hexdigest()} but the repository "
        f"publishes {published} in {site.url}t/a/1/a-1.jar.sha1; the transfer was corrupted or the repository "
        "(or a proxy) serves other bytes"
    )


def test_file_without_published_checksum_is_refused(site):
    r = site.repository
    r.pom("t:a:1")
    r.jar("t:a:1", sha1=False)
    message = _fail(site, site.manifest(["t:a:1"]))
    assert message.endswith(f"{site.url}t/a/1/a-1.jar: the repository serves the file but no "
                            f"{site.url}t/a/1/a-1.jar.sha1 to check it against; refusing an unchecked download "
                            "(use a repository that publishes checksums)")


def test_unreachable_repository(site):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manifest = site.manifest(["t:a:1"], repositories=[f"http://127.0.0.1:{port}/"])
    message = _fail(site, manifest, "--timeout=5")
    assert message.startswith(f"{manifest}: t:a:1: cannot reach the repository: "
                              f"http://127.0.0.1:{port}/t/a/1/a-1.pom.sha1: unreachable (")


@pytest.mark.parametrize("version, problem", [
    ("[1.0,2.0)", "version range [1.0,2.0) cannot be locked reproducibly"),
    ("1.0-SNAPSHOT", "version 1.0-SNAPSHOT moves"),
    ("${undefined.version}", "version ${undefined.version} names a property no POM defines"),
])
def test_unlockable_transitive_versions_say_how_to_pin(site, version, problem):
    site.repository.artifact("t:a:1", dep(f"t:b:{version}"))
    manifest = site.manifest(["t:a:1"])
    assert _fail(site, manifest) == (
        f'{manifest}: t:b (required by t:a:1): {problem}; pin it: managed = ["t:b:<version>"] in the manifest'
    )


def test_direct_dependency_without_version(site):
    manifest = site.manifest(["t:unversioned"])
    assert _fail(site, manifest) == (
        f"{manifest}: t:unversioned has no version and nothing manages one; give it one "
        '("t:unversioned:<version>") or import a BOM that manages it'
    )


def test_bom_import_cycle(site):
    r = site.repository
    r.pom("t:bom-a:1", packaging="pom", managed=[bom_import("t:bom-b:1")])
    r.pom("t:bom-b:1", packaging="pom", managed=[bom_import("t:bom-a:1")])
    manifest = site.manifest(["t:x:1"], boms=["t:bom-a:1"])
    message = _fail(site, manifest)
    assert message.endswith("BOM imports form a cycle: t:bom-a:1 -> t:bom-b:1 -> t:bom-a:1")


def test_property_cycle_and_unreadable_pom(site):
    r = site.repository
    r.artifact("t:loop:1", dep("t:x:${a}"), properties={"a": "${b}", "b": "${a}"})
    manifest = site.manifest(["t:loop:1"])
    assert _fail(site, manifest) == (
        f"{manifest}: t:loop:1: {site.url}t/loop/1/loop-1.pom: property expressions form a cycle: "
        "${a} -> ${b} -> ${a}"
    )
    r.write(r.path("t", "junk", "1", "pom"), b"<project><unclosed></project>")
    manifest = site.manifest(["t:junk:1"])
    assert re.fullmatch(re.escape(f"{manifest}: t:junk:1: {site.url}t/junk/1/junk-1.pom: not a readable POM (")
                        + r"mismatched tag: line 1, column \d+\)", _fail(site, manifest))


@pytest.mark.parametrize("text, expected", [
    ('dependencies = ["t:a:1"]\npackages = []', "unknown key(s) packages"),
    ('dependencies = ["t:a:1:2:3:4"]', "dependencies[0] 't:a:1:2:3:4' is not group:artifact or group:artifact:version"),
    ('dependencies = [{ coordinates = "t:a:1", scope = "system" }]', "scope must be one of compile, runtime, provided, test"),
    ('dependencies = ["t:a:1", "t:a:2"]', "dependencies lists t:a:jar twice"),
    ('dependencies = ["t:a:1"]\nboms = ["t:bom"]', "boms[0] 't:bom' is not group:artifact:version"),
    ('dependencies = ["t:a:1"]\nmanaged = ["t:m"]', "managed[0] 't:m' is not group:artifact:version"),
    ('dependencies = [{ coordinates = "t:a:1", exclusions = ["t"] }]', "is not group:artifact (either may be *)"),
    ('dependencies = ["../../etc:passwd:1"]', "is not group:artifact or group:artifact:version"),
    ('dependencies = [', "not valid TOML"),
])
def test_bad_manifest(site, text, expected):
    manifest = os.path.join(site.work, "bad.toml")
    with open(manifest, "w") as f:
        f.write(f'repositories = ["{site.url}"]\n{text}\n')
    message = _fail(site, manifest)
    assert message.startswith(f"{manifest}: ") and expected in message, message


def test_lock_directory_must_exist(site):
    site.repository.artifact("t:a:1")
    proc = run_maven_lock("--manifest", site.manifest(["t:a:1"]), "--lock", os.path.join(site.work, "no", "x.json"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("maven_lock: error: cannot write lock ") and "does not exist" in proc.stderr


def test_success_relative_to_the_workspace_is_canonical_and_repeatable(site):
    r = site.repository
    r.artifact("t:a:1", dep("t:b:1"))
    r.artifact("t:b:1")
    manifest = site.manifest(["t:a:1"])
    args = ("--manifest", os.path.basename(manifest), "--lock", "out.lock.json", "--cache_dir=")
    first = run_maven_lock(*args, BUILD_WORKSPACE_DIRECTORY=site.work)
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(r"maven_lock: locked 2 artifacts \(2 runtime, 0\.0 MiB; 0 test only\), total 0\.0 MiB, "
                        r"from 2 POMs, in [0-9.]+s \(resolution [0-9.]+s\) -> .*/out\.lock\.json\n", first.stdout)
    path = os.path.join(site.work, "out.lock.json")
    data = open(path, "rb").read()
    lock = json.loads(data)
    assert data == (json.dumps(lock, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    assert lock["artifacts"]["t:a"]["sha256"] == hashlib.sha256(open(r.path("t", "a", "1"), "rb").read()).hexdigest()
    assert lock["artifacts"]["t:a"]["size"] == os.path.getsize(r.path("t", "a", "1"))
    assert lock["manifest_sha256"] == hashlib.sha256(open(manifest, "rb").read()).hexdigest()
    second = run_maven_lock(*args, BUILD_WORKSPACE_DIRECTORY=site.work)
    assert second.returncode == 0
    assert open(path, "rb").read() == data
