"""Authenticated Debian package indexes: InRelease -> Release -> Packages.

Trust chain: the keyring file must have the sha256 pinned in the manifest;
`dists/<suite>/InRelease` must carry a good signature by a key in that
keyring (checked by gpgv); only the signed text is parsed; its SHA256 list
pins the size and hash of `<component>/binary-<arch>/Packages.xz` (or .gz or
plain), which is downloaded, checked, and only then decompressed, cached and
parsed. Downloads come from the snapshot first and the mirrors after it.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import hashlib
import os
import sys
import tempfile
from typing import Callable, Sequence

from tools.common.digest import is_sha256_hex
from tools.common.errors import UserError
from tools.debian import fetch
from tools.debian.cache import ContentCache
from tools.debian.control import parse_paragraphs
from tools.debian.manifest import Manifest
from tools.debian.signature import check_keyring, verify_clearsigned
from tools.layer import decompress

DEFAULT_SNAPSHOT_URL = "https://snapshot.debian.org/archive/"
# Preference order for the index file: smallest download first.
_INDEX_VARIANTS = (("Packages.xz", decompress.XZ), ("Packages.gz", decompress.GZIP), ("Packages.bz2", decompress.BZIP2),
                   ("Packages", None))


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def snapshot_base(snapshot_url: str, archive: str, snapshot: str) -> str:
    """`https://snapshot.debian.org/archive/` -> `.../archive/<archive>/<snapshot>/`."""
    return f"{_with_slash(snapshot_url)}{archive}/{snapshot}/"


def mirror_base(mirror: str, archive: str) -> str:
    """`https://deb.debian.org/` -> `https://deb.debian.org/<archive>/`."""
    return f"{_with_slash(mirror)}{archive}/"


@dataclasses.dataclass(frozen=True)
class ReleaseFile:
    path: str
    sha256: str
    size: int


@dataclasses.dataclass(frozen=True)
class Release:
    suite: str | None
    codename: str | None
    valid_until: datetime.datetime | None
    acquire_by_hash: bool
    files: dict[str, ReleaseFile]


def parse_release(text: str, *, source: str) -> Release:
    """Parses the (already authenticated) Release text."""
    paragraphs = parse_paragraphs(text, source=source)
    if len(paragraphs) != 1:
        raise UserError(f"{source}: a Release file must be one paragraph, found {len(paragraphs)}")
    fields = paragraphs[0]
    files: dict[str, ReleaseFile] = {}
    for line in fields.get("sha256", "").splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not is_sha256_hex(parts[0]) or not parts[1].isdigit():
            raise UserError(f"{source}: malformed SHA256 line {line.strip()!r}")
        files[parts[2]] = ReleaseFile(parts[2], parts[0], int(parts[1]))
    if not files:
        raise UserError(f"{source}: the Release has no SHA256 file list (MD5/SHA1-only archives are not trusted)")
    valid_until = None
    if "valid-until" in fields:
        try:
            valid_until = email.utils.parsedate_to_datetime(fields["valid-until"])
        except (TypeError, ValueError):
            raise UserError(f"{source}: unparseable Valid-Until {fields['valid-until']!r}") from None
        if valid_until.tzinfo is None:
            valid_until = valid_until.replace(tzinfo=datetime.timezone.utc)
    return Release(
        suite=fields.get("suite"),
        codename=fields.get("codename"),
        valid_until=valid_until,
        acquire_by_hash=fields.get("acquire-by-hash", "").strip().lower() == "yes",
        files=files,
    )


@dataclasses.dataclass(frozen=True)
class IndexEntry:
    """One paragraph of a Packages index, with where it came from."""

    name: str
    version: str
    architecture: str
    fields: dict[str, str] = dataclasses.field(compare=False, hash=False, repr=False)
    archive: str = ""
    suite: str = ""
    # Position of (archive, suite, component) in the manifest: breaks ties
    # between byte-identical versions offered by two suites.
    source_rank: int = 0

    def field(self, name: str) -> str | None:
        return self.fields.get(name)


Warn = Callable[[str], None]


def _stderr_warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class IndexLoader:
    """Downloads and authenticates the Packages indexes a manifest names.

    `snapshot_url` and `mirrors` are injectable so tests serve everything from
    127.0.0.1. `snapshot_url=None` skips the snapshot entirely.
    """

    def __init__(
        self,
        manifest: Manifest,
        *,
        snapshot_url: str | None = DEFAULT_SNAPSHOT_URL,
        mirrors: Sequence[str] | None = None,
        cache: ContentCache | None = None,
        timeout: float = fetch.DEFAULT_TIMEOUT,
        now: datetime.datetime | None = None,
        warn: Warn = _stderr_warn,
    ):
        self.manifest = manifest
        self.snapshot_url = snapshot_url
        self.mirrors = tuple(mirrors) if mirrors else manifest.mirrors
        self.cache = cache or ContentCache(None)
        self.timeout = timeout
        self.now = now or datetime.datetime.now(datetime.timezone.utc)
        self.warn = warn
        self.snapshot_failed = snapshot_url is None
        self._keyring_checked = False
        self._releases: dict[tuple[str, str], tuple[Release, str]] = {}

    # -- URLs ---------------------------------------------------------------
    def mirror_bases(self, archive: str) -> list[str]:
        return [mirror_base(m, archive) for m in self.mirrors]

    def package_urls(self, archive: str, filename: str) -> list[str]:
        """Where a pool file can be fetched: the snapshot (if configured) first, then the mirrors."""
        bases = self.mirror_bases(archive)
        if self.snapshot_url is not None:
            bases.insert(0, snapshot_base(self.snapshot_url, archive, self.manifest.snapshot))
        return [b + filename for b in bases]

    # -- InRelease ----------------------------------------------------------
    def _check_keyring(self) -> None:
        if not self._keyring_checked:
            check_keyring(self.manifest.keyring, self.manifest.keyring_sha256, manifest=self.manifest.path)
            self._keyring_checked = True

    def release(self, archive: str, suite: str) -> tuple[Release, str]:
        """The verified Release of `suite` and the base URL it came from."""
        key = (archive, suite)
        if key in self._releases:
            return self._releases[key]
        self._check_keyring()
        path = f"dists/{suite}/InRelease"
        data = None
        base_used = ""
        if not self.snapshot_failed:
            base = snapshot_base(self.snapshot_url or "", archive, self.manifest.snapshot)
            try:
                data = fetch.fetch_bytes(base + path, timeout=self.timeout)
                base_used = base
            except fetch.FetchError as e:
                self.snapshot_failed = True
                self.warn(
                    f"snapshot unreachable ({e}); falling back to {', '.join(self.mirrors)}: "
                    f"the lock reflects the mirror's current state, not snapshot {self.manifest.snapshot}"
                )
        if data is None:
            errors = []
            for base in self.mirror_bases(archive):
                try:
                    data = fetch.fetch_bytes(base + path, timeout=self.timeout)
                    base_used = base
                    break
                except fetch.FetchError as e:
                    errors.append(str(e))
            if data is None:
                raise UserError(f"cannot download InRelease of {archive} {suite}: {'; '.join(errors)}")

        source = base_used + path
        signed = verify_clearsigned(data, self.manifest.keyring, source=source)
        try:
            text = signed.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError(f"{source}: signed Release text is not UTF-8") from None
        release = parse_release(text, source=source)
        if suite not in (release.suite, release.codename):
            raise UserError(
                f"{source}: signed Release is for Suite {release.suite!r} / Codename {release.codename!r}, "
                f"not {suite!r}; the server answered with the wrong suite"
            )
        if release.valid_until is not None and release.valid_until < self.now:
            self.warn(
                f"{source}: Release expired on {release.valid_until:%Y-%m-%d %H:%M} UTC (Valid-Until); "
                "accepted because snapshot indexes are old by design"
            )
        self._releases[key] = (release, base_used)
        return release, base_used

    # -- Packages -----------------------------------------------------------
    def _verified_index_bytes(self, archive: str, suite: str, component: str, arch: str) -> bytes:
        release, base_used = self.release(archive, suite)
        directory = f"{component}/binary-{arch}"
        for name, kind in _INDEX_VARIANTS:
            entry = release.files.get(f"{directory}/{name}")
            if entry is not None:
                break
        else:
            raise UserError(
                f"{base_used}dists/{suite}/InRelease lists no {directory}/Packages index; "
                f"check the components and architectures in {self.manifest.path}"
            )
        label = f"{archive} {suite} {directory}/{name}"
        data = self.cache.get(entry.sha256, entry.size)
        if data is None:
            bases = [base_used] + [b for b in self.mirror_bases(archive) if b != base_used]
            urls = []
            for base in bases:
                if release.acquire_by_hash:
                    urls.append(f"{base}dists/{suite}/{directory}/by-hash/SHA256/{entry.sha256}")
                urls.append(f"{base}dists/{suite}/{directory}/{name}")
            with tempfile.TemporaryDirectory(prefix="deb-index-") as tmp:
                dest = os.path.join(tmp, name)
                fetch.download_verified(urls, entry.sha256, entry.size, dest, what=label, timeout=self.timeout)
                with open(dest, "rb") as f:
                    data = f.read()
                self.cache.put_verified_file(entry.sha256, dest)
        plain = decompress.decompress_bytes(data, kind, f"verified index {label}")
        # When the Release also pins the uncompressed index, hold the
        # decompressor's output to it as well.
        plain_entry = release.files.get(f"{directory}/Packages")
        if kind is not None and plain_entry is not None:
            if len(plain) != plain_entry.size or hashlib.sha256(plain).hexdigest() != plain_entry.sha256:
                raise UserError(f"{label}: decompressed index does not match the Release's {directory}/Packages hash")
        return plain

    def entries(self, arch: str) -> list[IndexEntry]:
        """All index entries for `arch` (including Architecture: all) from every source."""
        out: list[IndexEntry] = []
        rank = 0
        for source in self.manifest.sources:
            for suite in source.suites:
                for component in source.components:
                    data = self._verified_index_bytes(source.archive, suite, component, arch)
                    label = f"{source.archive} {suite} {component}/binary-{arch}/Packages"
                    try:
                        text = data.decode("utf-8")
                    except UnicodeDecodeError:
                        raise UserError(f"{label}: index is not UTF-8") from None
                    for fields in parse_paragraphs(text, source=label):
                        name = fields.get("package")
                        version = fields.get("version")
                        architecture = fields.get("architecture")
                        if not name or not version or not architecture:
                            raise UserError(f"{label}: paragraph without Package/Version/Architecture: {fields!r:.200}")
                        if architecture not in (arch, "all"):
                            continue
                        out.append(
                            IndexEntry(
                                name=name,
                                version=version,
                                architecture=architecture,
                                fields=fields,
                                archive=source.archive,
                                suite=suite,
                                source_rank=rank,
                            )
                        )
                    rank += 1
        return out
