"""Tests run on the hermetic CPython 3.11 from the Debian lock, with the locked pip packages."""

from __future__ import annotations

import os
import ssl
import sys


def test_interpreter_is_the_locked_cpython_311():
    assert sys.version_info[:2] == (3, 11)
    # The interpreter lives in the repository made from toolchains/debian/python_interpreter.lock.json.
    assert "python_interpreter" in os.path.realpath(sys.executable), sys.executable


def test_standard_library_extension_modules_load():
    import hashlib, lzma, bz2, zlib, sqlite3, ctypes  # noqa: F401,E401

    assert hashlib.sha256(b"").hexdigest().startswith("e3b0c442")
    assert ssl.OPENSSL_VERSION


def test_locked_requirements_import():
    from absl import flags
    from debian_inspector.version import Version

    assert Version.from_string("1:1.0") > Version.from_string("2.0")
    assert Version.from_string("1.0~rc1") < Version.from_string("1.0")
    assert isinstance(flags.FLAGS, flags.FlagValues)
    import zstandard

    assert zstandard.ZstdDecompressor().decompress(zstandard.ZstdCompressor().compress(b"x")) == b"x"


def test_package_symlinks_are_kept_and_resolve_inside_the_tree():
    """Debian's python3.11 links sitecustomize.py to /etc/python3.11/: the tree keeps it, repointed."""
    import sysconfig

    link = os.path.join(sysconfig.get_paths()["stdlib"], "sitecustomize.py")
    tree = os.path.realpath(os.path.join(os.path.dirname(os.path.realpath(sys.executable)), "..", ".."))
    target = os.path.join(tree, "etc", "python3.11", "sitecustomize.py")
    assert os.path.isfile(link), link
    assert os.path.realpath(link).startswith(tree + os.sep), os.path.realpath(link)
    # What the link gives, not where it points: a remote worker stages runfiles links as copies.
    with open(link, "rb") as got, open(target, "rb") as want:
        assert got.read() == want.read()
