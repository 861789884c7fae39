"""Section `assembly`: image assembly time must not grow with the size of the base's layers.

Two cached base OCI layouts, one whose layer is ~1 KiB and one whose layer is 2 GiB (scaled) of
real random bytes (not a sparse file: linking must be tried on real data), both assembled by
image_assembler itself. A small layer from our writer is then added on top of each; the
assembler stats and hard-links base blobs, so both runs should take about the same time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics

from bench import datagen
from bench.common import GIB, Context, Row, check, log
from bench.measure import Timing, run_checked, run_timed
from bench.writer import blob_path, descriptor_path, run_writer
from tools.common.units import human_size

SECTION = "assembly"
SMALL_LAYER, BIG_LAYER = 1 << 10, 2 * GIB
RUNS = 3  # assembly takes well under a second: the median of a few runs
SLOPE, SLACK = 1.5, 0.2  # target: big <= 1.5 x small + 0.2 s


def base_layout(ctx: Context, layer_size: int, seed: int) -> str:
    """An OCI layout whose one layer holds `layer_size` random bytes (cached)."""
    spec = datagen.TreeSpec("assembly-base", seed, (("payload.bin", layer_size),), incompressible=True)
    layout = os.path.join(ctx.cache, "layouts", spec.key)
    if os.path.isdir(layout):
        return layout
    tree = datagen.materialize(ctx.cache, spec)
    name = f"assembly_base_{seed}"
    run_writer(ctx, tree, name, "none")
    os.makedirs(os.path.dirname(layout), exist_ok=True)
    run_checked([ctx.tool("image", "image_assembler"), f"--layer={blob_path(ctx, name)}={descriptor_path(ctx, name)}",
                 f"--output={layout}"], cwd=ctx.repo)
    # The layout hard-linked the blob: the generated file and our copy of the blob can go.
    os.unlink(blob_path(ctx, name))
    shutil.rmtree(tree)
    return layout


def app_layer(ctx: Context) -> tuple[str, str]:
    spec = datagen.TreeSpec("assembly-app", 7, tuple((f"app/module{i}.py", 4096) for i in range(16)))
    tree = datagen.materialize(ctx.cache, spec)
    run_writer(ctx, tree, "assembly_app", "gzip")
    return blob_path(ctx, "assembly_app"), descriptor_path(ctx, "assembly_app")


def _base_layer_blob(layout: str) -> str:
    """The path of the (only) layer blob of a layout written by image_assembler."""
    blobs = os.path.join(layout, "blobs", "sha256")
    with open(os.path.join(layout, "index.json"), encoding="utf-8") as f:
        manifest_digest = json.load(f)["manifests"][0]["digest"]
    with open(os.path.join(blobs, manifest_digest.split(":", 1)[1]), encoding="utf-8") as f:
        layer_digest = json.load(f)["layers"][0]["digest"]
    return os.path.join(blobs, layer_digest.split(":", 1)[1])


def _linked(base: str, output: str) -> bool:
    blob = _base_layer_blob(base)
    copy = os.path.join(output, os.path.relpath(blob, base))
    return os.stat(copy).st_ino == os.stat(blob).st_ino


def time_assembly(ctx: Context, base: str, layer: tuple[str, str], name: str) -> tuple[Timing, bool]:
    """Median of RUNS assemblies; also whether the base's layer blob was hard-linked."""
    output = os.path.join(ctx.work, name)
    command = [ctx.tool("image", "image_assembler"), f"--base={base}", f"--layer={layer[0]}={layer[1]}",
               f"--output={output}", f"--digest={output}.digest"]
    timings, linked = [], False
    for _ in range(max(RUNS, ctx.repeat)):
        shutil.rmtree(output, ignore_errors=True)
        timings.append(run_timed([command], cwd=ctx.repo))
        linked = _linked(base, output)
    shutil.rmtree(output, ignore_errors=True)
    seconds = statistics.median(t.seconds for t in timings)
    return Timing(seconds, max(t.peak_rss_kib for t in timings)), linked


def run(ctx: Context) -> list[Row]:
    big = ctx.scaled(BIG_LAYER, minimum=4096)
    log(f"assembly: preparing base layouts (1 KiB and {human_size(big)} layers; cached)")
    bases = {"small": (SMALL_LAYER, base_layout(ctx, SMALL_LAYER, 5)), "big": (big, base_layout(ctx, big, 6))}
    layer = app_layer(ctx)
    rows, seconds = [], {}
    for key, (size, layout) in bases.items():
        log(f"assembly: base with a {human_size(size)} layer")
        timing, linked = time_assembly(ctx, layout, layer, f"assembly_{key}")
        seconds[key] = timing.seconds
        rows.append(Row(SECTION, f"base with a {human_size(size)} layer", seconds=timing.seconds,
                        peak_rss_kib=timing.peak_rss_kib,
                        notes=f"median of {max(RUNS, ctx.repeat)}; base blob {'hard-linked' if linked else 'COPIED'}",
                        raw={"seconds": timing.seconds, "base_layer_bytes": size, "hard_linked": linked,
                             "peak_rss_kib": timing.peak_rss_kib}))
    rows.append(check(SECTION, "time big base / small base", seconds["big"] / seconds["small"],
                      lambda v: f"{v:.2f}x", f"<= {SLOPE}x + {SLACK} s",
                      lambda v: seconds["big"] <= SLOPE * seconds["small"] + SLACK))
    return rows
