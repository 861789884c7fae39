"""gpgv-based InRelease authentication with real keys."""

from __future__ import annotations

import subprocess
import tempfile

import pytest

from tools.common.errors import UserError
from tools.debian.signature import check_keyring, verify_clearsigned
from tools.debian.tests.debfixtures import sha256_file

RELEASE = b"Origin: Test\nSuite: stable\nCodename: stable\nSHA256:\n " + b"a" * 64 + b" 1 main/binary-amd64/Packages\n"


@pytest.fixture
def keyring(gpg_key, tmp_path):
    return gpg_key.export_keyring(str(tmp_path / "k.gpg"))


def test_returns_exactly_the_signed_text(gpg_key, keyring):
    signed = gpg_key.clearsign(RELEASE)
    assert signed != RELEASE
    assert verify_clearsigned(signed, keyring, source="t") == RELEASE


def test_dash_escaped_lines_are_unescaped(gpg_key, keyring):
    text = RELEASE + b"Description: x\n -----not armor\n"
    assert verify_clearsigned(gpg_key.clearsign(text), keyring, source="t") == text


def test_leading_text_is_refused(gpg_key, keyring):
    signed = gpg_key.clearsign(RELEASE)
    with pytest.raises(UserError, match="not a clear-signed InRelease file"):
        verify_clearsigned(b"Suite: evil\n\n" + signed, keyring, source="t")


def test_two_messages_are_refused(gpg_key, keyring):
    signed = gpg_key.clearsign(RELEASE)
    with pytest.raises(UserError, match="exactly one signed message"):
        verify_clearsigned(signed + signed, keyring, source="t")


def test_other_key_is_refused(other_key, keyring):
    with pytest.raises(UserError, match=r"^t: OpenPGP signature verification failed against .*not in the keyring"):
        verify_clearsigned(other_key.clearsign(RELEASE), keyring, source="t")


def test_one_good_signature_of_two_is_enough(gpg_key, other_key, keyring, tmp_path):
    # Debian signs with several keys at once; a keyring holding only one of them must do.
    from tools.debian.tests.debfixtures import GpgKey

    both = GpgKey.__new__(GpgKey)
    # A short home: gpg-agent's socket path must fit in 108 bytes (see GpgKey).
    both.home = tempfile.mkdtemp(prefix="gnupg-", dir="/tmp")
    try:
        for key in (gpg_key, other_key):
            secret = key._gpg("--export-secret-keys", key.fingerprint).stdout
            both._gpg("--import", input=secret)
        signed = both._gpg("--local-user", gpg_key.fingerprint, "--local-user", other_key.fingerprint,
                           "--digest-algo", "SHA256", "--clearsign", input=RELEASE).stdout
    finally:
        subprocess.run(["gpgconf", "--homedir", both.home, "--kill", "all"], capture_output=True, check=False)
    assert signed.count(b"-----BEGIN PGP SIGNATURE-----") == 1
    assert verify_clearsigned(signed, keyring, source="t") == RELEASE
    other_keyring = other_key.export_keyring(str(tmp_path / "other.gpg"))
    assert verify_clearsigned(signed, other_keyring, source="t") == RELEASE


def test_modified_body_is_refused(gpg_key, keyring):
    signed = gpg_key.clearsign(RELEASE).replace(b"Origin: Test", b"Origin: Evil")
    with pytest.raises(UserError, match="BAD signature"):
        verify_clearsigned(signed, keyring, source="t")


def test_unsigned_file_is_refused(keyring):
    with pytest.raises(UserError, match="not a clear-signed InRelease file"):
        verify_clearsigned(RELEASE, keyring, source="t")


def test_keyring_pin(keyring):
    check_keyring(keyring, sha256_file(keyring))
    with pytest.raises(UserError, match="has sha256 .* but m.toml pins keyring_sha256"):
        check_keyring(keyring, "1" * 64, manifest="m.toml")
    with pytest.raises(UserError, match="cannot read keyring"):
        check_keyring(keyring + ".missing", "1" * 64)


def test_debian_keyring_is_the_pinned_one():
    import os
    import tomllib

    from tools.debian.tests.debfixtures import REPO_ROOT

    directory = os.path.join(REPO_ROOT, "toolchains", "debian")
    manifests = sorted(n for n in os.listdir(directory) if n.endswith(".toml"))
    assert manifests
    for name in manifests:
        with open(os.path.join(directory, name), "rb") as f:
            data = tomllib.load(f)
        assert data["keyring_sha256"] == sha256_file(os.path.join(directory, data["keyring"])), name
