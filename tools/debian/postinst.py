"""What some packages' maintainer scripts make at install time, reproduced as layer entries.

Layers are made without running maintainer scripts (as distroless does): they would run the
build machine's tools, at the build machine's time. Three effects that images need are made
here instead, each from the packages' own data, the same bytes every time:

- `ca-certificates`: /etc/ssl/certs/ca-certificates.crt, the bundle update-ca-certificates
  writes (ca_bundle.py);
- `ca-certificates-java`: /etc/ssl/certs/java/cacerts, the JKS trust store its postinst imports
  the same certificates into (java_truststore.py); it needs `ca-certificates` in the same layer;
- `openjdk-<N>-jre-headless`: the alternatives its postinst installs, `/usr/bin/<tool>` ->
  `/etc/alternatives/<tool>` -> `<basedir>/bin/<tool>` for each tool of its `jre_tools` list,
  both read from the postinst itself.

Anything else a maintainer script does (users, caches, triggers) is not reproduced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from tools.common.errors import UserError
from tools.debian import ca_bundle, java_truststore

TRUSTSTORE_PATH = "etc/ssl/certs/java/cacerts"
_CA_JAVA = "ca-certificates-java"
_JRE = re.compile(r"openjdk-\d+-jre-headless")
_BASEDIR = re.compile(r"^basedir=(/\S+)$", re.MULTILINE)
_JRE_TOOLS = re.compile(r"^jre_tools='([a-z0-9 _-]+)'$", re.MULTILINE)


@dataclass(frozen=True)
class Package:
    name: str
    path: str  # the .deb, for messages
    data_tar: str  # its data member, extracted
    postinst: Optional[str]  # the postinst script's text, if it has one


@dataclass(frozen=True)
class Effect:
    path: str
    data: Optional[bytes] = None  # a regular file (0644) ...
    symlink: Optional[str] = None  # ... or a symlink


def effects(packages: Sequence[Package]) -> list[Effect]:
    """The entries the maintainer scripts of `packages` (one layer's packages) would create."""
    by_name = {package.name: package for package in packages}
    result: list[Effect] = []
    certificates = None
    ca = by_name.get(ca_bundle.PACKAGE)
    if ca is not None:
        certificates = ca_bundle.certificates_from_data_tar(ca.data_tar, ca.path)
        result.append(Effect(ca_bundle.BUNDLE_PATH, data=ca_bundle.bundle(certificates)))
    if _CA_JAVA in by_name:
        if certificates is None:
            raise UserError(f"{by_name[_CA_JAVA].path}: {_CA_JAVA} makes its trust store from the certificates of "
                            f"{ca_bundle.PACKAGE}; put both packages in the same layer")
        aliases = java_truststore.debian_aliases(certificates)
        result.append(Effect(TRUSTSTORE_PATH, data=java_truststore.keystore(aliases)))
    for package in packages:
        if _JRE.fullmatch(package.name):
            result += _alternatives(package)
    return sorted(result, key=lambda effect: effect.path)


def _alternatives(package: Package) -> list[Effect]:
    basedir = _BASEDIR.search(package.postinst or "")
    tools = _JRE_TOOLS.search(package.postinst or "")
    if not basedir or not tools:
        raise UserError(f"{package.path}: its postinst does not set basedir= and jre_tools='...' as "
                        "openjdk's does; cannot tell which alternatives it installs")
    links = []
    for tool in tools.group(1).split():
        links.append(Effect(f"usr/bin/{tool}", symlink=f"/etc/alternatives/{tool}"))
        links.append(Effect(f"etc/alternatives/{tool}", symlink=f"{basedir.group(1)}/bin/{tool}"))
    return links
