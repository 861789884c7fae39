"""The registry half of verification: each service's image as a registry serves it, under the
repository names `image_publish` uses (`HOST[:PORT]/PREFIX/<service>`, the BUILD files'
`localhost:5000/fcp/<service>` moved by `--registry`), and the provenance attached to it as an
OCI 1.1 referrer.

`RegistrySource` is an ImageSource (layouts.py): the manifest of `--tag` (default `latest`) or
nothing; a mismatching image is pulled into a temporary layout for the explainer. `evidence`
says what is attached to a digest and checks the provenance: its DSSE signature against the
public key, and that its subject is the image (the statement's and the artifact manifest's).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from tools.common.errors import UserError
from tools.evidence import dsse
from tools.registry import pull, referrers
from tools.registry.errors import RegistryError
from tools.registry.reader import Reader
from tools.registry.reference import Repository, parse_repository


class RegistrySource:
    def __init__(self, prefix: str, tag: str, reader: Reader) -> None:
        self._prefix = prefix.rstrip("/")
        parse_repository(self._prefix + "/x", "--repository")  # the prefix's syntax, once
        self._tag = tag
        self._reader = reader
        self._found: dict[str, str] = {}
        self._scratch = tempfile.mkdtemp(prefix="verify-registry-")

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def name(self) -> str:
        return f"{self._prefix}/<service>:{self._tag}"

    def repository(self, service: str) -> Repository:
        return parse_repository(f"{self._prefix}/{service}", "--repository")

    def _client(self, service: str):
        try:
            return self._reader.client(self.repository(service))
        except RegistryError as e:
            raise UserError(f"reading {self.repository(service)} failed: {e}") from None

    def manifest_digest(self, service: str) -> str | None:
        try:
            manifest = self._client(service).get_manifest(self._tag)
        except RegistryError as e:
            raise UserError(f"reading {self.repository(service)}:{self._tag} failed: {e}") from None
        if manifest is None:
            return None
        self._found[service] = manifest.digest
        return manifest.digest

    def layout(self, service: str) -> str | None:
        """The image found for `service`, pulled into a layout (once)."""
        digest = self._found.get(service)
        if digest is None:
            return None
        dest = os.path.join(self._scratch, service)
        if not os.path.isdir(dest):
            try:
                pull.pull_to_layout(self._client(service), digest, dest)
            except RegistryError as e:
                raise UserError(f"pulling {self.repository(service)}@{digest} failed: {e}") from None
        return dest

    def evidence(self, service: str, digest: str, public_key: dsse.PublicKey | None) -> tuple[bool, str]:
        """(verified, note): what is attached to `digest`, and whether its provenance (if any)
        is signed by `public_key` about this image. Without a key a signature is not checked."""
        client = self._client(service)
        where = f"{self.repository(service)}@{digest}"
        try:
            found = referrers.list_referrers(client, digest)
            provenances = [r for r in found if r.artifact_type == referrers.PROVENANCE_ARTIFACT_TYPE]
            sboms = [r for r in found if r.artifact_type == referrers.SBOM_ARTIFACT_TYPE]
            notes = [f"sbom {sboms[0].digest} attached" if sboms else "no sbom attached"]
            if not provenances:
                return True, "; ".join(["no provenance attached"] + notes)
            artifacts = [referrers.fetch_artifact(client, r.digest, self._scratch) for r in provenances]
        except RegistryError as e:
            raise UserError(f"reading the referrers of {where} failed: {e}") from None
        failures = []
        for referrer, artifact in zip(provenances, artifacts):
            ok, why = _check_provenance(artifact, digest, public_key, f"provenance {referrer.digest}")
            if ok:
                return True, "; ".join([why + f" (found by the {referrer.scheme})"] + notes)
            failures.append(why)
        return False, "; ".join(failures)


def _check_provenance(artifact: referrers.Artifact, digest: str, public_key: dsse.PublicKey | None,
                      what: str) -> tuple[bool, str]:
    if artifact.subject != digest:
        return False, f"{what}'s artifact manifest refers to {artifact.subject}, not {digest}"
    try:
        envelope = json.loads(artifact.data)
        if public_key is None:
            payload = dsse.payload_of(envelope, what)
            signed = "signature not checked (no --public_key)"
        else:
            payload = dsse.verify(envelope, public_key, what)
            signed = f"signed by key {dsse.keyid(public_key)}"
        statement = json.loads(payload)
        subject = "sha256:" + statement["subject"][0]["digest"]["sha256"]
    except UserError as e:
        return False, str(e)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return False, f"{what} is not a DSSE envelope of an in-toto statement with a subject"
    if subject != digest:
        return False, f"{what} is {signed.split(' (')[0]} but about {subject}, not {digest}"
    return True, f"{what} {signed}, subject {digest}"
