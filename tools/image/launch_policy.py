"""Confidential Space launch policy labels (`tee.launch_policy.*`): the names the launcher knows
and the value syntax it accepts, checked when an image is assembled.

The launcher reads these labels from the image config and refuses to start a workload whose
labels it cannot parse; a misspelt name it silently ignores, which leaves the workload without
the policy its author meant. Both are build errors here. The names and syntax follow the
launcher's own parser (go-tpm-tools launcher/spec/launch_policy.go) and Google's launch policy
reference; values are matched as the launcher does (case-insensitively, booleans as Go's
strconv.ParseBool), but a list with an empty or padded item is refused: the launcher would keep
" FCP_OPTS" as a different variable name.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Mapping, Sequence

PREFIX = "tee.launch_policy."

ALLOW_CAPABILITIES = PREFIX + "allow_capabilities"
ALLOW_CGROUPS = PREFIX + "allow_cgroups"
ALLOW_CMD_OVERRIDE = PREFIX + "allow_cmd_override"
ALLOW_ENV_OVERRIDE = PREFIX + "allow_env_override"
ALLOW_MOUNT_DESTINATIONS = PREFIX + "allow_mount_destinations"
DEBUG_MONITORING = PREFIX + "debug_monitoring"
HARDENED_MONITORING = PREFIX + "hardened_monitoring"
LOG_REDIRECT = PREFIX + "log_redirect"
MONITORING_MEMORY_ALLOW = PREFIX + "monitoring_memory_allow"

_BOOLEANS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_POLICY = ("always", "never", "debugonly")
_MONITORING = ("none", "memoryonly", "all")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# label -> what its value must be, as a message fragment and a check.
_SYNTAX = {
    ALLOW_CAPABILITIES: "a boolean (true or false)",
    ALLOW_CGROUPS: "a boolean (true or false)",
    ALLOW_CMD_OVERRIDE: "a boolean (true or false)",
    ALLOW_ENV_OVERRIDE: "comma-separated environment variable names (e.g. FCP_OPTS,OTHER)",
    ALLOW_MOUNT_DESTINATIONS: "colon-separated absolute paths (e.g. /run/tmp:/var/tmp)",
    DEBUG_MONITORING: "one of none, memoryonly, all",
    HARDENED_MONITORING: "one of none, memoryonly, all",
    LOG_REDIRECT: "one of always, never, debugonly",
    MONITORING_MEMORY_ALLOW: "one of always, never, debugonly",
}
KNOWN = tuple(sorted(_SYNTAX))


def _valid(label: str, value: str) -> bool:
    if _SYNTAX[label].startswith("a boolean"):
        return value in _BOOLEANS
    if label == ALLOW_ENV_OVERRIDE:
        return all(_ENV_NAME.fullmatch(name) for name in value.split(","))
    if label == ALLOW_MOUNT_DESTINATIONS:
        return all(path.startswith("/") and path.strip() == path for path in value.split(":"))
    if label in (DEBUG_MONITORING, HARDENED_MONITORING):
        return value.lower() in _MONITORING
    return value.strip().lower() in _POLICY


@dataclasses.dataclass(frozen=True)
class Policy:
    """What the launch policy labels of an image allow (defaults as the launcher's)."""

    env_override: tuple[str, ...] = ()
    cmd_override: bool = False


def problems(labels: Mapping[str, str], env: Sequence[str]) -> list[str]:
    """Everything wrong with the launch policy labels of a config, one sentence each.

    `env` is the config's Env (`KEY=VALUE`): a variable baked into the image that the policy
    lets an operator override changes what runs without changing the attested digest.
    """
    found = []
    for label in sorted(labels):
        if not label.startswith(PREFIX):
            continue
        value = labels[label]
        if label not in _SYNTAX:
            close = difflib.get_close_matches(label, KNOWN, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(KNOWN)}"
            found.append(f"label {label} is not a Confidential Space launch policy ({hint})")
        elif not _valid(label, value):
            found.append(f"label {label}={value!r}: the value must be {_SYNTAX[label]}")
    if MONITORING_MEMORY_ALLOW in labels and (HARDENED_MONITORING in labels or DEBUG_MONITORING in labels):
        found.append(f"labels {MONITORING_MEMORY_ALLOW} and {HARDENED_MONITORING}/{DEBUG_MONITORING} cannot be "
                     f"combined (the launcher refuses the image): keep only the newer two")
    baked = {item.partition("=")[0] for item in env}
    for name in policy(labels).env_override:
        if name in baked:
            found.append(f"label {ALLOW_ENV_OVERRIDE} lets the operator override {name}, which the image sets in "
                         f"its env: remove {name} from the env (pass it at run time) or from the label")
    return found


def policy(labels: Mapping[str, str]) -> Policy:
    """The policy of (already checked) labels."""
    env = labels.get(ALLOW_ENV_OVERRIDE, "")
    return Policy(
        env_override=tuple(name for name in env.split(",") if name),
        cmd_override=labels.get(ALLOW_CMD_OVERRIDE, "false") in _TRUE,
    )
