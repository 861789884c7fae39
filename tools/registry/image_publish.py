"""Publishes OCI image layouts to a registry: by digest first, then tags.

One image (`--layout`) or a set of them (`--set`, written by the `image_publish_set` rule) in one
run; blobs one image of the run stored are mounted into the others' repositories, not uploaded
again. Prints exactly one line per image on stdout, `HOST/PATH@sha256:<hex>`; progress goes to
stderr. With `--sbom`/`--provenance` (or a set's `sbom`/`provenance`), each image's evidence is
then attached to it as OCI 1.1 referrers (`--noattach_evidence` skips that; `--sign_key` signs the
provenance first). On failure: one line `image_publish: error: push to HOST/PATH failed: <why and
the fix>`, exit 1.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
from typing import Sequence

from absl import flags

from tools.common import canonical_json, oci
from tools.common.errors import UserError, run_cli
from tools.common.json_file import load_json
from tools.evidence import dsse
from tools.common.units import human_size
from tools.registry import docker_config, referrers
from tools.registry.client import DEFAULT_CHUNK_SIZE, RegistryClient, RetryPolicy
from tools.registry.errors import RegistryError
from tools.registry.jobs import Job, Overrides, check_registry, set_jobs, single_job
from tools.registry.layout import PushPlan, read_layout
from tools.registry.publish import BlobLocations, publish
from tools.registry.transport import Transport, TransportOptions, env_path

TOOL = "image_publish"

_LAYOUT = flags.DEFINE_string("layout", None, "OCI image layout directory to publish (set by the Bazel rule).")
_SET = flags.DEFINE_string("set", None, "Publish set file: several images, one run (set by the image_publish_set "
                           "rule); instead of --layout.")
_SET_BASE = flags.DEFINE_string("set_base", None, "Directory relative layout paths of --set are resolved against "
                                "(default: the set file's directory).")
_REGISTRY = flags.DEFINE_string("registry", None, "HOST[:PORT] replacing the registry of every repository the "
                                "BUILD file names (the paths stay).")
_MOUNT_FROM = flags.DEFINE_multi_string(
    "mount_from", [], "HOST[:PORT]/PATH on the same registry that may hold some of the blobs; they are mounted "
    "from there instead of uploaded. Repeatable; adds to the BUILD file's.")
_DEFAULT_REPOSITORY = flags.DEFINE_string(
    "default_repository", None, "HOST[:PORT]/PATH used when --repository is not given (set by the Bazel rule).")
_REPOSITORY = flags.DEFINE_string("repository", None, "HOST[:PORT]/PATH to push to; overrides --default_repository.")
_DEFAULT_TAG = flags.DEFINE_multi_string(
    "default_tag", [], "Tag applied when no --tag is given; repeatable (set by the Bazel rule).")
_TAG = flags.DEFINE_multi_string("tag", [], "Tag to apply after the push by digest; repeatable. Any --tag "
                                 "replaces all --default_tag values.")
_DOCKER_CONFIG = flags.DEFINE_string(
    "docker_config", None, "Directory holding config.json (or the file itself); default $DOCKER_CONFIG, "
    "else ~/.docker.")
_CA_FILE = flags.DEFINE_string("ca_file", None, "PEM CA bundle trusted in addition to the system trust store.")
_PLAIN_HTTP = flags.DEFINE_bool(
    "plain_http", False, "Talk plain HTTP to the registry. Only for loopback hosts (127.0.0.0/8, ::1, "
    "localhost) unless --allow_insecure_http is also given.")
_ALLOW_INSECURE_HTTP = flags.DEFINE_bool(
    "allow_insecure_http", False, "Permit --plain_http to a non-loopback host: credentials and image cross the "
    "network unencrypted.")
_CHUNK_SIZE = flags.DEFINE_string(
    "chunk_size", f"{DEFAULT_CHUNK_SIZE >> 20}MiB", "Blobs larger than this are uploaded in PATCH chunks of this size "
    "(bytes, or with suffix KiB/MiB/GiB, K/M/G).")
_TIMEOUT = flags.DEFINE_float("timeout_seconds", 300.0, "Socket timeout for each request.")
_MAX_ATTEMPTS = flags.DEFINE_integer("max_attempts", 4, "Attempts per request on 5xx, 429 and connection errors.",
                                     lower_bound=1)
_RETRY_DELAY = flags.DEFINE_float("retry_base_delay", 0.5, "First backoff delay in seconds; doubles on each retry.",
                                  lower_bound=0.0)
_MAX_RETRY_DELAY = flags.DEFINE_float(
    "max_retry_delay", 60.0, "Longest wait before a retry, in seconds, also when the registry's Retry-After asks "
    "for more.", lower_bound=0.0)

_SBOM = flags.DEFINE_string("sbom", None, "The image's SBOM, attached to it as a referrer (set by the rule).")
_PROVENANCE = flags.DEFINE_string("provenance", None, "The image's provenance (DSSE envelope), attached to it as a "
                                  "referrer (set by the rule).")
_ATTACH = flags.DEFINE_bool("attach_evidence", True, "Attach the SBOM and provenance the rule names as OCI 1.1 "
                            "referrers of each image; --noattach_evidence pushes the images only.")
_SIGN_KEY = flags.DEFINE_string("sign_key", None, "Sign each provenance with this ed25519 or ECDSA P-256 key "
                                "(PEM or DER file) before attaching it; the key is never printed.")
_KEY_PASSWORD_FILE = flags.DEFINE_string("key_password_file", None, "A file holding --sign_key's password.")

_SIZE = re.compile(r"([0-9]+)\s*([KMG]?)(i?B)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise UserError(f"--chunk_size={text!r}: expected a byte count like 67108864, 64MiB or 512K")
    value = int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]
    if value < 1:
        raise UserError(f"--chunk_size={text!r}: must be at least 1 byte")
    return value


def _log(message: str) -> None:
    print(f"{TOOL}: {message}", file=sys.stderr, flush=True)


def _jobs() -> list[Job]:
    overrides = Overrides(check_registry(_REGISTRY.value), _TAG.value, _MOUNT_FROM.value)
    if _SET.value:
        if _LAYOUT.value or _REPOSITORY.value is not None or _DEFAULT_REPOSITORY.value:
            raise UserError("--set names the images and their repositories: drop --layout and --repository "
                            "(--registry moves them all to another registry)")
        base = env_path(_SET_BASE.value) if _SET_BASE.value else os.path.dirname(os.path.abspath(_SET.value))
        return set_jobs(env_path(_SET.value) or _SET.value, base, overrides)
    if not _LAYOUT.value:
        raise UserError("--layout is required: the OCI image layout directory to publish")
    return [single_job(_LAYOUT.value, _REPOSITORY.value, _DEFAULT_REPOSITORY.value, _DEFAULT_TAG.value, overrides,
                       env_path(_SBOM.value), env_path(_PROVENANCE.value))]


def _main(argv: Sequence[str]) -> int:
    jobs = _jobs()
    chunk_size = parse_size(_CHUNK_SIZE.value)
    plans = [read_layout(job.layout) for job in jobs]  # every layout checked before anything is pushed
    key = _signing_key()
    with tempfile.TemporaryDirectory(prefix="image-publish-") as scratch:
        # Every piece of evidence checked (and signed) before anything is pushed, too.
        evidence = [_evidence(job, plan, key, scratch) for job, plan in zip(jobs, plans)]
        return _push(jobs, plans, evidence, chunk_size)


def _signing_key():
    if not _SIGN_KEY.value:
        if _KEY_PASSWORD_FILE.value:
            raise UserError("--key_password_file is the password of --sign_key: pass --sign_key too")
        return None
    password = None
    if _KEY_PASSWORD_FILE.value:
        try:
            with open(env_path(_KEY_PASSWORD_FILE.value) or "", "rb") as f:
                password = f.read().rstrip(b"\r\n")
        except OSError as e:
            raise UserError(f"cannot read the password file {_KEY_PASSWORD_FILE.value}: {e.strerror}") from None
    return dsse.load_private_key(env_path(_SIGN_KEY.value) or "", password)


def _evidence(job: Job, plan: PushPlan, key, scratch: str) -> list[referrers.Evidence]:
    """What to attach to the image of `job`: its SBOM, and its provenance (signed with `key`), whose
    subject must be the image about to be pushed."""
    if not _ATTACH.value:
        return []
    out = []
    if job.sbom:
        if not os.path.isfile(job.sbom):
            raise UserError(f"SBOM {job.sbom} does not exist: build the image's _sbom target (or pass "
                            "--noattach_evidence)")
        out.append(referrers.sbom(job.sbom))
    if job.provenance:
        envelope = load_json(job.provenance, "provenance envelope")
        try:
            statement = json.loads(dsse.payload_of(envelope, job.provenance))
            subject = "sha256:" + statement["subject"][0]["digest"]["sha256"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise UserError(f"provenance {job.provenance}: not an in-toto statement with a subject digest") from None
        if subject != plan.root.digest:
            raise UserError(f"provenance {job.provenance} is about {subject}, but {job.layout} is "
                            f"{plan.root.digest}: rebuild the provenance with the image")
        path = job.provenance
        if key is not None:
            path = os.path.join(scratch, f"{len(out)}-{os.path.basename(job.layout)}-{os.path.basename(path)}")
            with open(path, "wb") as f:
                f.write(canonical_json.dumps(dsse.sign(envelope, key, job.provenance)))
        out.append(dataclasses.replace(referrers.provenance(path), title=os.path.basename(job.provenance)))
    elif key is not None:
        raise UserError(f"--sign_key given but {job.layout} has no provenance to sign (--provenance)")
    return out


def _push(jobs: list[Job], plans: list[PushPlan], evidence: list[list[referrers.Evidence]], chunk_size: int) -> int:
    location = docker_config.locate_config(env_path(_DOCKER_CONFIG.value), os.environ)
    try:
        transport = Transport(TransportOptions(
            ca_file=env_path(_CA_FILE.value),
            plain_http=_PLAIN_HTTP.value,
            allow_insecure_http=_ALLOW_INSECURE_HTTP.value,
            timeout=_TIMEOUT.value,
        ))
    except RegistryError as e:
        raise UserError(f"push to {jobs[0].repository} failed: {e}") from None
    locations = BlobLocations()
    uploaded = mounted = 0
    try:
        for job, plan, attachments in zip(jobs, plans, evidence):
            repository = job.repository
            try:
                credentials = docker_config.lookup(repository, location)
                client = RegistryClient(
                    repository,
                    transport,
                    credentials,
                    config_hint=f"{location.path} ({location.how})",
                    retry=RetryPolicy(attempts=_MAX_ATTEMPTS.value, base_delay=_RETRY_DELAY.value,
                                      max_delay=_MAX_RETRY_DELAY.value),
                    chunk_size=chunk_size,
                    log=_log,
                    pull_from=locations.repositories(repository.registry) + list(job.mount_from),
                )
                who = f" as {credentials.username!r}" if credentials and credentials.username else ""
                _log(f"pushing {len(plan.blobs)} blobs and {len(plan.manifests)} manifest(s) to {repository}{who}")
                result = publish(plan, client, job.tags, _log, locations, job.mount_from)
                if attachments:
                    subject = oci.Descriptor(plan.root.media_type, result.digest, len(plan.root.data))
                    referrers.attach(client, subject, attachments, _log)
            except (RegistryError, UserError) as e:
                raise UserError(f"push to {repository} failed: {e}") from None
            except OSError as e:
                # Local file trouble (a blob vanished or is unreadable); the filename says which.
                raise UserError(f"push to {repository} failed: {e.filename or ''}: {e.strerror or e}") from None
            uploaded += result.uploaded_bytes
            mounted += result.mounted_bytes
            print(result.reference, flush=True)
    finally:
        transport.close()
    _log(f"{len(jobs)} image(s) published: {human_size(uploaded)} of blobs uploaded, {human_size(mounted)} "
         f"mounted; {human_size(transport.body_bytes_sent)} of request bodies sent, retries included")
    return 0


def _guarded(fn):
    """Turns anything unexpected into one line too: a traceback could echo request state."""

    def wrapper(argv: Sequence[str]) -> int:
        try:
            return fn(argv)
        except (UserError, KeyboardInterrupt, BrokenPipeError, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - the CLI contract is "never a traceback"
            raise UserError(f"unexpected {type(e).__name__}: {' '.join(str(e).split())[:300]}") from None

    return wrapper


main = _guarded(_main)

if __name__ == "__main__":
    run_cli(TOOL, main)
