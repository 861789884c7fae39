"""Benchmarks of the layer writer, Debian repack, image assembler, boot jar writer, remote and local Bazel builds.

    ./bench/run.sh [--only layers,parallel,repack,assembly,bootjar,remote,bazel] [--repeat N]

Runs inside the build environment (bench/run.sh gets there). Prints one table row per
measurement or target check, writes bench/results/<UTC timestamp>.json and latest.json.
Targets are informative: the exit code is 1 only when a tool or step failed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from typing import Any, Callable, Sequence

from bench import assembly, bazel_builds, bootjar, facts, layers, parallel, remote_builds, repack, report
from bench.common import Context, Row, ToolFailed, error_row, log
from bench.datagen import remove_stale_partials
from bench.measure import run_checked

SECTIONS: dict[str, Callable[[Context], list[Row]]] = {
    "layers": layers.run,
    "parallel": parallel.run,
    "repack": repack.run,
    "assembly": assembly.run,
    "bootjar": bootjar.run,
    # Own output roots: the workspace's output base and the tools the others use are untouched.
    "remote": remote_builds.run,
    "bazel": bazel_builds.run,  # last: its `bazel clean` removes the tools the others run
}
NEEDS_TOOLS = {"layers", "parallel", "repack", "assembly", "bootjar"}
TOOL_TARGETS = ("//tools/layer:layer_writer", "//tools/debian:deb_repack", "//tools/image:image_assembler",
                "//tools/bootjar:spring_boot_jar")
INSIDE_MARKER = "/etc/reproimage-buildenv"
DEFAULT_CACHE = "/var/tmp/reproimage-bench"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})")
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed runs per measurement; the fastest counts (default 1)")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or not args.sections:
        parser.error(f"unknown section(s) {','.join(unknown) or '(none given)'}; choose from {','.join(SECTIONS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.sections = [s for s in SECTIONS if s in args.sections]  # canonical order
    return args


def read_scale() -> float:
    text = os.environ.get("REPROIMAGE_BENCH_SCALE", "1.0")
    try:
        scale = float(text)
    except ValueError:
        scale = -1.0
    if not 0 < scale <= 16:
        raise SystemExit(f"bench: error: REPROIMAGE_BENCH_SCALE={text!r} must be a number in (0, 16], e.g. 0.05")
    return scale


def make_context(repeat: int) -> Context:
    scale = read_scale()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cache = os.environ.get("REPROIMAGE_BENCH_CACHE", DEFAULT_CACHE)
    os.makedirs(os.path.join(cache, "work"), exist_ok=True)
    remove_stale_partials(cache)
    work = tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=os.path.join(cache, "work"))
    nproc = len(os.sched_getaffinity(0))
    return Context(repo=repo, cache=cache, work=work, scale=scale, nproc=nproc, repeat=repeat)


def build_tools(ctx: Context) -> None:
    log(f"building {' '.join(TOOL_TARGETS)}")
    run_checked(["bazel", "build", *TOOL_TARGETS], cwd=ctx.repo, log_path=os.path.join(ctx.work, "bazel_tools.log"))


def run_section(name: str, ctx: Context) -> list[Row]:
    """A section's rows; a failure that ends the section becomes one ERROR row."""
    log(f"== section {name}")
    try:
        return SECTIONS[name](ctx)
    except (ToolFailed, OSError) as e:
        return [error_row(name, "section failed", e)]
    except Exception as e:  # a bug in the benchmark itself: keep the other sections' numbers
        traceback.print_exc()
        return [error_row(name, "section crashed", e)]


def document(ctx: Context, sections: list[str], started: float, machine: dict[str, Any],
             rows: list[Row]) -> dict[str, Any]:
    return {
        "schema": 1,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "scale": ctx.scale,
        "repeat": ctx.repeat,
        "sections": sections,
        "cache": ctx.cache,
        "machine": {**machine, "load_average_end": facts.load_average()},
        "failed": any(row.error for row in rows),
        "rows": report.rows_json(rows),
    }


def run_all(ctx: Context, sections: list[str]) -> tuple[list[Row], dict[str, Any]]:
    """Builds the tools if needed, collects machine facts, runs the sections in order."""
    rows: list[Row] = []
    tools_built = False
    if NEEDS_TOOLS.intersection(sections):
        try:
            build_tools(ctx)
            tools_built = True
        except ToolFailed as e:
            rows.append(error_row("setup", "bazel build of the tools", e))
    machine = facts.collect(ctx, tools_built)
    for name in sections:
        if name not in NEEDS_TOOLS or tools_built:
            rows += run_section(name, ctx)
    return rows, machine


def main(argv: Sequence[str]) -> int:
    if not os.path.exists(INSIDE_MARKER):
        print("bench: error: run ./bench/run.sh (it enters the build environment first)", file=sys.stderr)
        return 2
    args = parse_args(argv)
    started = time.time()
    ctx = make_context(args.repeat)
    log(f"scale {ctx.scale:g}, sections {','.join(args.sections)}, nproc {ctx.nproc}, cache {ctx.cache}")
    try:
        rows, machine = run_all(ctx, args.sections)
    finally:
        shutil.rmtree(ctx.work, ignore_errors=True)
    print(report.render_table(rows))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    path = report.write_json(os.path.join(ctx.repo, "bench", "results"), stamp,
                             document(ctx, args.sections, started, machine, rows))
    print(f"\nresults: {os.path.relpath(path, ctx.repo)} (and bench/results/latest.json); "
          f"scale {ctx.scale:g}, nproc {ctx.nproc}, load {machine['load_average_start']} -> {facts.load_average()}")
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
