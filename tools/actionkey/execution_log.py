"""Reads Bazel's JSON execution log (--execution_log_json_file) into the parts of each spawn that
make its action key: command line, environment, platform, input digests; and what it produced."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from tools.common.errors import UserError


@dataclass(frozen=True)
class Spawn:
    mnemonic: str
    target: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    platform: Mapping[str, str]
    inputs: Mapping[str, str]  # path -> sha256 (or "symlink:<target>")
    outputs: Mapping[str, str]  # path -> sha256, as the build produced them
    listed_outputs: tuple[str, ...]
    runner: str

    @property
    def name(self) -> str:
        """What identifies the action in two builds: its first declared output (execroot-relative)."""
        return self.listed_outputs[0] if self.listed_outputs else f"{self.target} {self.mnemonic}"

    def key(self) -> tuple[Any, ...]:
        return (
            self.args,
            tuple(sorted(self.env.items())),
            tuple(sorted(self.platform.items())),
            tuple(sorted(self.inputs.items())),
        )


def _file_digests(entries: Any, where: str) -> dict[str, str]:
    digests: dict[str, str] = {}
    for entry in entries or []:
        path = entry.get("path")
        if not isinstance(path, str):
            raise UserError(f"{where}: a file entry without a path; is this a Bazel execution log?")
        if entry.get("symlinkTargetPath"):
            digests[path] = "symlink:" + entry["symlinkTargetPath"]
        else:
            digests[path] = (entry.get("digest") or {}).get("hash", "")
    return digests


def _spawn(obj: Mapping[str, Any], where: str) -> Spawn:
    if "commandArgs" not in obj:
        raise UserError(f"{where}: an entry without commandArgs; is this a Bazel --execution_log_json_file?")
    return Spawn(
        mnemonic=obj.get("mnemonic", ""),
        target=obj.get("targetLabel", ""),
        args=tuple(obj["commandArgs"]),
        env={e["name"]: e.get("value", "") for e in obj.get("environmentVariables", [])},
        platform={p["name"]: p.get("value", "") for p in (obj.get("platform") or {}).get("properties", [])},
        inputs=_file_digests(obj.get("inputs"), where),
        outputs=_file_digests(obj.get("actualOutputs"), where),
        listed_outputs=tuple(obj.get("listedOutputs", [])),
        runner=obj.get("runner", ""),
    )


def log_objects(text: str, path: str) -> list[dict[str, Any]]:
    """The log is a sequence of JSON objects, one per spawn, not one JSON document."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return objects
        try:
            obj, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as e:
            raise UserError(
                f"{path}: not a JSON execution log ({e.msg} at character {e.pos}); write one with "
                "bazel build --execution_log_json_file=FILE (the compact and binary formats are not read)"
            ) from None
        if not isinstance(obj, dict):
            raise UserError(f"{path}: entry {len(objects) + 1} is not a JSON object; is this a Bazel execution log?")
        objects.append(obj)


def _spawns(objects: list[dict[str, Any]], path: str) -> list[Spawn]:
    return [_spawn(obj, f"{path}: entry {n}") for n, obj in enumerate(objects, 1)]


def parse_execution_log(text: str, path: str) -> list[Spawn]:
    return _spawns(log_objects(text, path), path)


def read_log_objects(path: str) -> list[dict[str, Any]]:
    """The log's entries as JSON objects (what the benchmarks read: runner, metrics)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UserError(f"cannot read execution log {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(
            f"{path}: not a JSON execution log (binary); write one with bazel build --execution_log_json_file=FILE"
        ) from None
    return log_objects(text, path)


def read_execution_log(path: str) -> list[Spawn]:
    return _spawns(read_log_objects(path), path)
