"""download_verified against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os

import pytest

from tools.common.errors import UserError
from tools.debian.fetch import download_verified
from tools.debian.tests.debfixtures import build_deb, serve, sha256_file


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    deb = build_deb(str(root), "hello", "1.0")
    with serve(str(root)) as url:
        yield url, deb


def _leftovers(directory):
    return [n for n in os.listdir(directory) if n.startswith(".tmp")]


def test_download_verified_success(served, tmp_path):
    url, deb = served
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "hello.deb"
    used = download_verified([url + "missing.deb", url + os.path.basename(deb)], sha256_file(deb),
                             os.path.getsize(deb), dest)
    assert used == url + os.path.basename(deb)
    assert dest.read_bytes() == open(deb, "rb").read()
    assert _leftovers(out) == []


def test_tampered_deb_is_refused_and_leaves_nothing(served, tmp_path):
    url, deb = served
    expected = sha256_file(deb)
    size = os.path.getsize(deb)
    with open(deb, "r+b") as f:  # same size, one flipped byte near the end
        f.seek(size - 10)
        byte = f.read(1)
        f.seek(size - 10)
        f.write(bytes([byte[0] ^ 0xFF]))
    actual = sha256_file(deb)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UserError) as e:
        download_verified([url + os.path.basename(deb)], expected, size, out / "hello.deb", what="hello 1.0")
    message = str(e.value)
    assert message == (f"hello 1.0: checksum mismatch: {url}{os.path.basename(deb)} has sha256 {actual}, "
                       f"expected {expected}")
    assert os.listdir(out) == []


def test_wrong_size_is_refused(served, tmp_path):
    url, deb = served
    with pytest.raises(UserError, match="expected size 10 and sha256"):
        download_verified([url + os.path.basename(deb)], sha256_file(deb), 10, tmp_path / "x")
    assert not (tmp_path / "x").exists() and _leftovers(tmp_path) == []


def test_mismatch_on_first_url_then_good_second(served, tmp_path, capfd):
    url, deb = served
    bad = os.path.join(os.path.dirname(deb), "bad.deb")
    with open(bad, "wb") as f:
        f.write(b"x" * os.path.getsize(deb))
    dest = tmp_path / "ok.deb"
    used = download_verified([url + "bad.deb", url + os.path.basename(deb)], sha256_file(deb),
                             os.path.getsize(deb), dest)
    assert used.endswith(os.path.basename(deb))
    assert dest.read_bytes() == open(deb, "rb").read()
    assert "warning: ok.deb: " + url + "bad.deb has sha256 " + hashlib.sha256(b"x" * os.path.getsize(deb)).hexdigest() \
        in capfd.readouterr().err


def test_404_everywhere_names_relock_command(served, tmp_path):
    url, _ = served
    with pytest.raises(UserError) as e:
        download_verified([url + "gone1.deb", url + "gone2.deb"], "0" * 64, 1, tmp_path / "x",
                          what="libfoo 1.0", relock_hint="bazel run //toolchains/debian:python_base.lock")
    message = str(e.value)
    assert message == (
        f"libfoo 1.0: not found (HTTP 404) at any of {url}gone1.deb, {url}gone2.deb; the version was probably "
        "superseded on the mirror and removed; re-lock with `bazel run //toolchains/debian:python_base.lock`"
    )
    assert os.listdir(tmp_path) == ["www"] or os.listdir(tmp_path) == []


def test_unreachable_is_reported(tmp_path):
    with pytest.raises(UserError, match=r"download failed: http://127.0.0.1:1/x: unreachable"):
        download_verified(["http://127.0.0.1:1/x"], "0" * 64, 1, tmp_path / "x", timeout=5)
    assert os.listdir(tmp_path) == []


def test_download_lock_entry_404_names_the_lock(served, tmp_path):
    from tools.debian.fetch import download_lock_entry

    url, _ = served
    entry = {"name": "libfoo", "version": "1.0", "architecture": "amd64", "sha256": "0" * 64, "size": 5,
             "urls": [url + "pool/libfoo_1.0_amd64.deb"]}
    with pytest.raises(UserError, match=r"^libfoo 1.0 \(amd64\): not found \(HTTP 404\) at any of .*re-lock with "
                                        r"`bazel run //toolchains/debian:jni_runtime.lock`$"):
        download_lock_entry(entry, tmp_path / "x.deb", lock_name="jni_runtime")
