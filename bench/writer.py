"""Runs the project's layer writer (the `bazel build` launcher) on a directory tree."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Optional

from bench.common import Context
from bench.measure import Timing, best_of, run_timed


@dataclasses.dataclass(frozen=True)
class LayerRun:
    timing: Timing
    size: int  # bytes of the blob
    digest: str
    diff_id: str


def write_tree_spec(ctx: Context, tree: str, name: str) -> str:
    """A spec with one `tree` entry putting `tree`'s contents at the layer's root."""
    path = os.path.join(ctx.work, f"{name}.spec.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"entries": [{"path": "", "type": "tree", "src": tree}]}, f)
    return path


def writer_command(ctx: Context, spec: str, output: str, descriptor: str, compression: str,
                   threads: Optional[int] = None) -> list[str]:
    command = [ctx.tool("layer", "layer_writer"), "--spec", spec, "--output", output, "--descriptor", descriptor,
               "--compression", compression]
    if threads is not None:
        command += ["--threads", str(threads)]
    return command


def run_writer(ctx: Context, tree: str, name: str, compression: str, threads: Optional[int] = None) -> LayerRun:
    """Times the writer on `tree`; the blob is left at `<work>/<name>.blob` for the caller."""
    spec = write_tree_spec(ctx, tree, name)
    output = os.path.join(ctx.work, f"{name}.blob")
    descriptor = os.path.join(ctx.work, f"{name}.desc.json")
    command = writer_command(ctx, spec, output, descriptor, compression, threads)
    timing = best_of(ctx.repeat, lambda: run_timed([command], cwd=ctx.repo))
    with open(descriptor, encoding="utf-8") as f:
        desc = json.load(f)
    return LayerRun(timing, desc["size"], desc["digest"], desc["diffID"])


def blob_path(ctx: Context, name: str) -> str:
    return os.path.join(ctx.work, f"{name}.blob")


def descriptor_path(ctx: Context, name: str) -> str:
    return os.path.join(ctx.work, f"{name}.desc.json")
