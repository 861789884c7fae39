"""Builds the image configuration JSON from a base config and an ImageSpec.

A pure function of its arguments: no clock, host, user or path reaches the result, which is
what makes the config digest (and so the manifest digest) the same on every machine.
"""

from __future__ import annotations

import copy
from typing import Any

from tools.image.spec import ImageSpec


def _drop_nulls(value: Any) -> Any:
    # Docker-built bases write `"Cmd": null` and the like; null and absent mean the same to every
    # runtime, and we never write null, so one spelling keeps images that differ only there equal.
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _env_key(entry: str) -> str:
    return entry.partition("=")[0]


def merge_env(base: list[str], updates: list[str]) -> list[str]:
    """Later entries win; an existing key keeps its place, a new key is appended."""
    merged = list(base)
    position = {}
    for i, entry in enumerate(merged):
        position.setdefault(_env_key(entry), i)
    for entry in updates:
        key = _env_key(entry)
        if key in position:
            merged[position[key]] = entry
        else:
            position[key] = len(merged)
            merged.append(entry)
    return merged


def layer_history_entry(created: str, index: int) -> dict[str, Any]:
    # Content-free on purpose: the layer's digest already identifies it, and anything else here
    # (a path, a command line) would vary between machines.
    return {"created": created, "created_by": f"reproimage layer {index}"}


def build_config(
    spec: ImageSpec,
    base_config: dict[str, Any] | None,
    base_diff_ids: list[str],
    layer_diff_ids: list[str],
) -> dict[str, Any]:
    config: dict[str, Any] = _drop_nulls(copy.deepcopy(base_config)) if base_config else {}
    config["created"] = spec.created
    config["os"] = spec.os
    config["architecture"] = spec.architecture

    run: dict[str, Any] = config.get("config") or {}
    if spec.env:
        run["Env"] = merge_env(run.get("Env") or [], spec.env)
    if spec.labels:
        run["Labels"] = {**(run.get("Labels") or {}), **spec.labels}
    if spec.exposed_ports:
        ports = dict(run.get("ExposedPorts") or {})
        for port in spec.exposed_ports:
            ports[port] = {}
        run["ExposedPorts"] = ports
    # An empty string or list clears the inherited value; None inherits it.
    for key, value in (("User", spec.user), ("WorkingDir", spec.workdir),
                       ("Entrypoint", spec.entrypoint), ("Cmd", spec.cmd)):
        if value is None:
            continue
        if value:
            run[key] = value
        else:
            run.pop(key, None)
    if spec.entrypoint is not None and spec.cmd is None:
        # Like Docker, crane and rules_oci: a new entrypoint does not take the base's
        # arguments, which were written for the base's entrypoint.
        run.pop("Cmd", None)
    run = {k: v for k, v in run.items() if v not in ({}, [], "")}
    if run:
        config["config"] = run
    else:
        config.pop("config", None)

    config["rootfs"] = {"type": "layers", "diff_ids": list(base_diff_ids) + list(layer_diff_ids)}

    history = []
    for entry in config.get("history") or []:
        entry = dict(entry)
        entry["created"] = spec.created
        history.append(entry)
    for i in range(len(layer_diff_ids)):
        history.append(layer_history_entry(spec.created, len(base_diff_ids) + i))
    if history:
        config["history"] = history
    else:
        config.pop("history", None)
    return config
