"""What to assemble: the ImageSpec, its `--config_spec` JSON file, and value checks.

The spec is the single description of an image that both the flags and the JSON file fill in,
so the two entry points cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from typing import Any

from tools.common import oci
from tools.common.errors import UserError
from tools.common.json_file import load_json

EPOCH = "1970-01-01T00:00:00Z"

# RFC 3339 date-time as OCI requires it for `created`.
_CREATED_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
# OCI image-layout `org.opencontainers.image.ref.name` grammar.
_REF_COMPONENT = r"[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
_REF_RE = re.compile(_REF_COMPONENT + r"(?:/" + _REF_COMPONENT + r")*")
_ENV_KEY_RE = re.compile(r"[^=\x00]+")
_PROTOCOLS = ("tcp", "udp", "sctp")


@dataclasses.dataclass(frozen=True)
class LayerInput:
    blob: str
    descriptor: str


@dataclasses.dataclass
class ImageSpec:
    """Everything that decides the image's bytes. None means "inherit from the base"."""

    base: str | None = None
    layers: list[LayerInput] = dataclasses.field(default_factory=list)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: list[str] = dataclasses.field(default_factory=list)
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    annotations: dict[str, str] = dataclasses.field(default_factory=dict)
    user: str | None = None
    workdir: str | None = None
    exposed_ports: list[str] = dataclasses.field(default_factory=list)
    os: str = "linux"
    architecture: str = "amd64"
    created: str = EPOCH
    tag: str = "latest"

    def validate(self, where: str) -> None:
        """Checks every value; `where` names the flags or spec file in messages."""
        for entry in self.env:
            check_env_entry(entry, where)
        self.exposed_ports = [normalize_port(p, where) for p in self.exposed_ports]
        check_created(self.created, where)
        check_tag(self.tag, where)
        for name, value in (("os", self.os), ("architecture", self.architecture)):
            if not value or not re.fullmatch(r"[a-z0-9_]+", value):
                raise UserError(f"{where}: {name} {value!r} must be a lowercase identifier such as linux/amd64")
        for key in list(self.labels) + list(self.annotations):
            if not key:
                raise UserError(f"{where}: label and annotation keys must not be empty")


def check_env_entry(entry: str, where: str) -> None:
    key, sep, _ = entry.partition("=")
    if not sep or not _ENV_KEY_RE.fullmatch(key):
        raise UserError(f"{where}: env entry {entry!r} must be KEY=VALUE with a non-empty KEY")


def normalize_port(port: str, where: str) -> str:
    """"8080" -> "8080/tcp"; checks the number and protocol."""
    number, sep, protocol = port.partition("/")
    protocol = protocol if sep else "tcp"
    if not number.isdigit() or not 1 <= int(number) <= 65535 or protocol not in _PROTOCOLS:
        raise UserError(
            f"{where}: exposed port {port!r} must be PORT or PORT/PROTOCOL with PORT in 1..65535 and "
            f"PROTOCOL one of {', '.join(_PROTOCOLS)}"
        )
    return f"{int(number)}/{protocol}"


def check_created(value: str, where: str) -> None:
    ok = bool(_CREATED_RE.fullmatch(value))
    if ok:
        try:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            ok = False
    if not ok:
        raise UserError(f"{where}: created {value!r} must be an RFC 3339 time such as {EPOCH}")


def check_tag(value: str, where: str) -> None:
    if not _REF_RE.fullmatch(value):
        raise UserError(
            f"{where}: tag {value!r} is not a valid {oci.REF_NAME_ANNOTATION} (letters and digits, "
            "separated by single -._:@+ or --, components joined by /)"
        )


def parse_key_value(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UserError(f"--{what} {text!r} must be KEY=VALUE with a non-empty KEY")
    return key, value


def parse_json_string_list(text: str, what: str) -> list[str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"--{what} {text!r} is not a JSON list of strings ({e.msg}); write e.g. '[\"/app/run\"]'") from None
    return _string_list(value, f"--{what}")


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{where} must be a JSON list of strings, got {json.dumps(value)[:200]}")
    return list(value)


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise UserError(f"{where} must be a string, got {json.dumps(value)[:200]}")
    return value


def _parse_layers(value: Any, where: str) -> list[LayerInput]:
    if not isinstance(value, list):
        raise UserError(f"{where} must be a list of {{\"blob\": PATH, \"descriptor\": PATH}} objects")
    layers = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"blob", "descriptor"}:
            raise UserError(f"{where}[{i}] must be an object with exactly the keys \"blob\" and \"descriptor\"")
        layers.append(LayerInput(_string(item["blob"], f"{where}[{i}].blob"),
                                 _string(item["descriptor"], f"{where}[{i}].descriptor")))
    return layers


# Field name in the spec file -> how to read its JSON value.
_SPEC_FIELDS = {
    "base": _string,
    "layers": _parse_layers,
    "entrypoint": _string_list,
    "cmd": _string_list,
    "env": _string_list,
    "labels": oci.check_string_map,
    "annotations": oci.check_string_map,
    "user": _string,
    "workdir": _string,
    "exposed_ports": _string_list,
    "os": _string,
    "architecture": _string,
    "created": _string,
    "tag": _string,
}
SPEC_FIELDS = tuple(_SPEC_FIELDS)


def load_config_spec(path: str) -> ImageSpec:
    """Reads a `--config_spec` file (format in README.md) into an ImageSpec."""
    data = load_json(path, "config spec")
    if not isinstance(data, dict):
        raise UserError(f"config spec {path} must be a JSON object")
    unknown = sorted(set(data) - set(_SPEC_FIELDS))
    if unknown:
        raise UserError(f"config spec {path}: unknown field(s) {', '.join(unknown)} (known: {', '.join(SPEC_FIELDS)})")
    spec = ImageSpec()
    for name, value in data.items():
        if value is None:
            raise UserError(f"config spec {path}: field {name} is null; omit it to inherit from the base")
        setattr(spec, name, _SPEC_FIELDS[name](value, f"config spec {path}: field {name}"))
    spec.validate(f"config spec {path}")
    return spec
