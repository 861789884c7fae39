"""What one `image_publish` run pushes: one image named by flags, or a set of images read from a
publish set file (written by the `image_publish_set` rule), with the user's overrides applied.

A set file is JSON:

    {"images": [{"layout": "DIR", "repository": "HOST[:PORT]/PATH", "tags": ["latest"],
                 "mount_from": ["HOST[:PORT]/PATH"], "sbom": "FILE", "provenance": "FILE"}, ...]}

`sbom` and `provenance` (optional) are the image's evidence, attached to it as OCI 1.1 referrers
after the push (tools/registry/referrers.py).

Relative layout paths are resolved against a base directory (the rule's launcher passes its
runfiles directory). `repository`, `tags` and `mount_from` are defaults: `--registry` moves every
repository to another registry host, `--tag` replaces every image's tags, `--mount_from` adds
candidates.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Sequence

from tools.common.errors import UserError
from tools.common.json_file import load_json
from tools.registry.reference import Repository, parse_registry, parse_repository, validate_tag


@dataclasses.dataclass(frozen=True)
class Job:
    layout: str
    repository: Repository
    tags: tuple[str, ...]
    mount_from: tuple[str, ...]  # repository paths on the same registry, in the order to try them
    sbom: str | None = None  # evidence files to attach as referrers
    provenance: str | None = None


@dataclasses.dataclass(frozen=True)
class Overrides:
    registry: str | None  # HOST[:PORT] replacing every default repository's host
    tags: Sequence[str]  # replace the defaults when not empty
    mount_from: Sequence[str]  # added to the defaults


def _moved(text: str, what: str, registry: str | None) -> Repository:
    repository = parse_repository(text, what)
    if registry is None:
        return repository
    return parse_repository(f"{registry}/{repository.path}", "--registry")


def make_job(layout: str, repository: Repository, tags: Sequence[str], mount_from: Sequence[str],
             registry: str | None, what: str, sbom: str | None = None, provenance: str | None = None) -> Job:
    """A job whose mount candidates are checked to be on the same registry as its repository."""
    paths = []
    for text in mount_from:
        source = _moved(text, "--mount_from", registry)
        if source.registry != repository.registry:
            raise UserError(f"{what}: --mount_from={text!r} is on {source.registry}, but the image goes to "
                            f"{repository}: blobs can only be mounted within one registry")
        paths.append(source.path)
    unique_tags = tuple(dict.fromkeys(validate_tag(t) for t in tags))
    return Job(layout, repository, unique_tags, tuple(dict.fromkeys(paths)), sbom, provenance)


def single_job(layout: str, repository: str | None, default_repository: str | None, tags: Sequence[str],
               overrides: Overrides, sbom: str | None = None, provenance: str | None = None) -> Job:
    """The one image of `--layout`: `--repository` if given, else the rule's default (moved by
    `--registry`)."""
    if repository is not None:
        if not repository.strip():
            raise UserError("--repository is empty: pass --repository=HOST[:PORT]/PATH, or leave the flag out "
                            "to push to the BUILD file's repository")
        if overrides.registry is not None:
            raise UserError("pass either --repository (the whole name) or --registry (another host for the "
                            "BUILD file's repository), not both")
        target = parse_repository(repository, "--repository")
    elif default_repository:
        target = _moved(default_repository, "--default_repository", overrides.registry)
    else:
        raise UserError("no repository: pass --repository=HOST[:PORT]/PATH")
    return make_job(layout, target, overrides.tags or tags, overrides.mount_from, overrides.registry,
                    f"--layout={layout}", sbom, provenance)


def _strings(entry: dict[str, Any], key: str, where: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{where}: {key!r} must be a list of strings")
    return value


def set_jobs(path: str, base: str | None, overrides: Overrides) -> list[Job]:
    """The images of the publish set file `path`, in file order."""
    data = load_json(path, "publish set")
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list) or not images:
        raise UserError(f"publish set {path}: expected {{\"images\": [...]}} with at least one image")
    known_keys = {"layout", "repository", "tags", "mount_from", "sbom", "provenance"}
    jobs = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(images):
        where = f"publish set {path} images[{i}]"
        if not isinstance(entry, dict):
            raise UserError(f"{where}: expected an object")
        extra = sorted(set(entry) - known_keys)
        if extra:
            raise UserError(f"{where}: unknown key {extra[0]!r} (expected {', '.join(sorted(known_keys))})")
        layout, repository = entry.get("layout"), entry.get("repository")
        if not isinstance(layout, str) or not layout or not isinstance(repository, str) or not repository:
            raise UserError(f"{where}: needs a \"layout\" and a \"repository\" (non-empty strings)")
        if base and not os.path.isabs(layout):
            layout = os.path.join(base, layout)
        target = _moved(repository, f"{where} repository", overrides.registry)
        if str(target) in seen:
            raise UserError(f"{where}: {target} is also the repository of {seen[str(target)]}; one image per "
                            "repository")
        seen[str(target)] = f"images[{i}]"
        tags = overrides.tags or _strings(entry, "tags", where)
        mount_from = _strings(entry, "mount_from", where) + list(overrides.mount_from)
        evidence = {}
        for key in ("sbom", "provenance"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                raise UserError(f"{where}: {key!r} must be a file path")
            evidence[key] = os.path.join(base, value) if value and base and not os.path.isabs(value) else value
        jobs.append(make_job(layout, target, tags, mount_from, overrides.registry, where, **evidence))
    return jobs


def check_registry(text: str | None) -> str | None:
    """`--registry`: a HOST[:PORT] (no path), or None when not given."""
    return None if text is None else parse_registry(text, "--registry")
