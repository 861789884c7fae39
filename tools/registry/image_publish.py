"""Publishes an OCI image layout to a registry: by digest first, then tags.

Prints exactly one line on stdout, `HOST/PATH@sha256:<hex>`; progress goes to stderr.
On failure: one line `image_publish: error: push to HOST/PATH failed: <why and the fix>`, exit 1.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Sequence

from absl import flags

from tools.common.errors import UserError, run_cli
from tools.registry import docker_config
from tools.registry.client import DEFAULT_CHUNK_SIZE, RegistryClient, RetryPolicy
from tools.registry.errors import RegistryError
from tools.registry.layout import read_layout
from tools.registry.publish import publish
from tools.registry.reference import parse_repository, validate_tag
from tools.registry.transport import Transport, TransportOptions, env_path

TOOL = "image_publish"

_LAYOUT = flags.DEFINE_string("layout", None, "OCI image layout directory to publish (set by the Bazel rule).")
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


def _main(argv: Sequence[str]) -> int:
    if not _LAYOUT.value:
        raise UserError("--layout is required: the OCI image layout directory to publish")
    repository_text = _REPOSITORY.value or _DEFAULT_REPOSITORY.value
    if not repository_text:
        raise UserError("no repository: pass --repository=HOST[:PORT]/PATH")
    repository = parse_repository(repository_text, "--repository" if _REPOSITORY.value else "--default_repository")
    tags = list(dict.fromkeys(validate_tag(t) for t in (_TAG.value or _DEFAULT_TAG.value)))
    chunk_size = parse_size(_CHUNK_SIZE.value)
    plan = read_layout(_LAYOUT.value)

    location = docker_config.locate_config(env_path(_DOCKER_CONFIG.value), os.environ)
    transport: Transport | None = None
    try:
        credentials = docker_config.lookup(repository, location)
        transport = Transport(TransportOptions(
            ca_file=env_path(_CA_FILE.value),
            plain_http=_PLAIN_HTTP.value,
            allow_insecure_http=_ALLOW_INSECURE_HTTP.value,
            timeout=_TIMEOUT.value,
        ))
        client = RegistryClient(
            repository,
            transport,
            credentials,
            config_hint=f"{location.path} ({location.how})",
            retry=RetryPolicy(attempts=_MAX_ATTEMPTS.value, base_delay=_RETRY_DELAY.value),
            chunk_size=chunk_size,
            log=_log,
        )
        who = f" as {credentials.username!r}" if credentials and credentials.username else ""
        _log(f"pushing {len(plan.blobs)} blobs and {len(plan.manifests)} manifest(s) to {repository}{who}")
        result = publish(plan, client, tags, _log)
    except (RegistryError, UserError) as e:
        raise UserError(f"push to {repository} failed: {e}") from None
    except OSError as e:
        # Local file trouble (a blob vanished or is unreadable); the filename says which.
        raise UserError(f"push to {repository} failed: {e.filename or ''}: {e.strerror or e}") from None
    finally:
        if transport is not None:
            transport.close()
    print(result.reference, flush=True)
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
