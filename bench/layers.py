"""Section `layers`: our layer writer against GNU tar (+ gzip/pigz/sha256sum) and rules_pkg's pkg_tar.

Two generated trees: many small files (50,000 x 4 KiB) and a few large ones (4 x 512 MiB), both
scaled by REPROIMAGE_BENCH_SCALE (the small tree scales its file count, not the file size).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Optional

from bench import datagen, pkg_tar
from bench.common import MIB, Context, Row, ToolFailed, check, error_row, log, mb_per_s
from bench.measure import Timing, best_of, file_size, remove, run_timed
from bench.writer import blob_path, run_writer
from tools.common.units import human_size

SECTION = "layers"
SMALL_FILES, SMALL_FILE_SIZE, SMALL_PER_DIR = 50_000, 4 << 10, 250
LARGE_FILES, LARGE_FILE_SIZE = 4, 512 << 20

GZIP_SPEEDUP_TARGET = 1.8
NONE_TIME_TARGET = 1.2
SIZE_TARGET_PERCENT = 2.0
RSS_TARGET_MIB = 150

OURS_GZIP, OURS_NONE = "ours gzip -6", "ours none"
TAR_GZIP, TAR_SHA, TAR_PIGZ = "tar | gzip -6 -n", "tar | sha256sum", "tar | pigz -6 -n"
TAR_TEE_SHA = "tar | tee FILE | sha256sum"
PKG_GZIP, PKG_TAR = "pkg_tar .tar.gz", "pkg_tar .tar"

TAR = ["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "--format=posix",
       "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-cf", "-", "-C"]
TAR_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}


@dataclasses.dataclass(frozen=True)
class Measured:
    """One tool's run on one tree; the size of its output when that matters."""

    timing: Timing
    size: Optional[int] = None
    notes: str = ""
    digest: str = ""
    diff_id: str = ""


def small_tree(ctx: Context) -> datagen.TreeSpec:
    count = ctx.scaled(SMALL_FILES)
    files = tuple((f"lib{i // SMALL_PER_DIR:03d}/obj{i:05d}.o", SMALL_FILE_SIZE) for i in range(count))
    return datagen.TreeSpec("small-files", 1, files)


def large_tree(ctx: Context) -> datagen.TreeSpec:
    size = ctx.scaled(LARGE_FILE_SIZE, minimum=4096)
    return datagen.TreeSpec("large-files", 2, tuple((f"blob{i}.bin", size) for i in range(LARGE_FILES)))


def tree_label(spec: datagen.TreeSpec) -> str:
    sizes = {size for _, size in spec.files}
    each = human_size(sizes.pop()) if len(sizes) == 1 else "mixed"
    return f"{spec.name.split('-')[0]} {len(spec.files)}x{each}"


def ours(ctx: Context, tree: str, name: str, compression: str) -> Measured:
    run = run_writer(ctx, tree, name, compression)
    remove(blob_path(ctx, name))
    return Measured(run.timing, run.size, digest=run.digest, diff_id=run.diff_id)


def tar_pipeline(ctx: Context, tree: str, stages: list[list[str]], output: str, keep_size: bool) -> Measured:
    """GNU tar with the writer's normalizations, piped through `stages`; the last one's stdout
    goes to `output` unless a stage writes it itself (tee)."""
    commands = [TAR + [tree, "."], *stages]
    writes_itself = any(stage[0] == "tee" for stage in stages)
    timing = best_of(ctx.repeat, lambda: run_timed(commands, stdout=None if writes_itself else output, env=TAR_ENV))
    size = file_size(output) if keep_size else None
    remove(output)
    return Measured(timing, size)


def pkg_tar_runs(ctx: Context, spec: datagen.TreeSpec, tree: str) -> dict[str, Measured]:
    runs = pkg_tar.measure(ctx, spec.key, tree)
    result = {}
    for kind, case, what in (("gz", PKG_GZIP, "build_tar.py, python gzip -9"), ("tar", PKG_TAR, "build_tar.py")):
        run = runs[kind]
        inside = f"; {run.bazel_walltime:.2f} s inside bazel build" if run.bazel_walltime is not None else ""
        result[case] = Measured(run.timing, run.size, notes=what + inside)
    return result


def _attempt(errors: list[Row], case: str, run: Callable[[], Measured]) -> Optional[Measured]:
    """Runs one measurement; a failure becomes an ERROR row instead of ending the section."""
    try:
        return run()
    except (ToolFailed, OSError, KeyError) as e:
        errors.append(error_row(SECTION, case, e))
        return None


def measure_all(ctx: Context, spec: datagen.TreeSpec, tree: str, label: str,
                errors: list[Row]) -> dict[str, Optional[Measured]]:
    output = os.path.join(ctx.work, f"layers_{spec.name}.out")

    def pipe(stages: list[list[str]], keep_size: bool) -> Callable[[], Measured]:
        return lambda: tar_pipeline(ctx, tree, stages, output, keep_size)

    plan: list[tuple[str, Callable[[], Measured]]] = [
        (OURS_GZIP, lambda: ours(ctx, tree, f"layers_{spec.name}_gzip", "gzip")),
        (OURS_NONE, lambda: ours(ctx, tree, f"layers_{spec.name}_none", "none")),
        (TAR_GZIP, pipe([["gzip", "-6", "-n"]], True)),
        (TAR_SHA, pipe([["sha256sum"]], False)),
        (TAR_TEE_SHA, pipe([["tee", output], ["sha256sum"]], False)),
        (TAR_PIGZ, pipe([["pigz", "-6", "-n", "-p", str(ctx.nproc)]], True)),
    ]
    measured: dict[str, Optional[Measured]] = {}
    for case, run in plan:
        log(f"layers: {label}: {case}")
        measured[case] = _attempt(errors, f"{label}: {case}", run)
    try:
        measured.update(pkg_tar_runs(ctx, spec, tree))
    except (ToolFailed, OSError, KeyError) as e:
        errors.append(error_row(SECTION, f"{label}: pkg_tar", e))
        measured.update({PKG_GZIP: None, PKG_TAR: None})
    return measured


def _size_note(measured: Measured, total: int) -> str:
    return f"{measured.size / MIB:.1f} MiB, ratio {total / measured.size:.2f}" if measured.size else ""


def _notes(ctx: Context, case: str, measured: Measured, all_measured: dict[str, Optional[Measured]],
           total: int) -> str:
    parts = [measured.notes]
    if case == OURS_GZIP:
        parts.append(f"threads={ctx.nproc}")
    if case == TAR_PIGZ:
        parts.append(f"-p {ctx.nproc}")
    if case == TAR_TEE_SHA:
        parts.append("reference: the work of ours none (read, write the tar, hash it)")
    if case in (OURS_GZIP, TAR_GZIP, TAR_PIGZ, PKG_GZIP):
        parts.append(_size_note(measured, total))
    none = all_measured.get(OURS_NONE)
    if case == OURS_GZIP and none is not None:
        parts.append("diffID == none's digest" if measured.diff_id == none.digest else "diffID != none's digest!")
    return "; ".join(p for p in parts if p)


def measurement_rows(ctx: Context, label: str, total: int, measured: dict[str, Optional[Measured]]) -> list[Row]:
    rows = []
    for case, m in measured.items():
        if m is None:
            continue
        t = m.timing
        raw = {"seconds": t.seconds, "peak_rss_kib": t.peak_rss_kib, "input_bytes": total, "output_bytes": m.size}
        rows.append(Row(SECTION, f"{label}: {case}", seconds=t.seconds, mb_per_s=mb_per_s(total, t.seconds),
                        peak_rss_kib=t.peak_rss_kib, notes=_notes(ctx, case, m, measured, total), raw=raw))
    return rows


def _ratio(numerator: Optional[Measured], denominator: Optional[Measured]) -> Optional[float]:
    if numerator is None or denominator is None:
        return None
    return numerator.timing.seconds / denominator.timing.seconds


def _size_delta_percent(ours_gzip: Optional[Measured], tar_gzip: Optional[Measured]) -> Optional[float]:
    if ours_gzip is None or tar_gzip is None or not ours_gzip.size or not tar_gzip.size:
        return None
    return (ours_gzip.size / tar_gzip.size - 1) * 100


def _info_ratio(case: str, value: Optional[float], notes: str) -> Row:
    if value is None:
        return Row(SECTION, case, notes="a measurement it needs failed")
    return Row(SECTION, case, ratio=f"{value:.2f}x", notes=notes, raw={"value": value})


def check_rows(label: str, spec: datagen.TreeSpec, m: dict[str, Optional[Measured]]) -> list[Row]:
    def times(v: float) -> str:
        return f"{v:.2f}x"

    def at_least(v: float) -> bool:
        return v >= GZIP_SPEEDUP_TARGET

    rows = [
        check(SECTION, f"{label}: speed ours gzip vs tar|gzip", _ratio(m[TAR_GZIP], m[OURS_GZIP]),
              times, f">= {GZIP_SPEEDUP_TARGET}x", at_least, "tar|gzip time / ours"),
        check(SECTION, f"{label}: speed ours gzip vs pkg_tar", _ratio(m[PKG_GZIP], m[OURS_GZIP]),
              times, f">= {GZIP_SPEEDUP_TARGET}x", at_least, "pkg_tar .tar.gz time / ours"),
        check(SECTION, f"{label}: time ours none / tar|sha256sum", _ratio(m[OURS_NONE], m[TAR_SHA]),
              times, f"<= {NONE_TIME_TARGET}x", lambda v: v <= NONE_TIME_TARGET),
        _info_ratio(f"{label}: time ours none / tar|tee|sha256sum", _ratio(m[OURS_NONE], m[TAR_TEE_SHA]),
                    "informative: against a pipeline that also writes the tar"),
        check(SECTION, f"{label}: size ours gzip vs tar|gzip -6", _size_delta_percent(m[OURS_GZIP], m[TAR_GZIP]),
              lambda v: f"{v:+.2f}%", f"<= +{SIZE_TARGET_PERCENT:g}%", lambda v: v <= SIZE_TARGET_PERCENT),
    ]
    if spec.name.startswith("large"):
        for case in (OURS_GZIP, OURS_NONE):
            measured = m[case]
            rss = None if measured is None else measured.timing.peak_rss_kib / 1024
            rows.append(check(SECTION, f"{label}: peak RSS {case}, {human_size(spec.total_bytes)} layer", rss,
                              lambda v: f"{v:.0f} MiB", f"< {RSS_TARGET_MIB} MiB", lambda v: v < RSS_TARGET_MIB))
    return rows


def bench_tree(ctx: Context, spec: datagen.TreeSpec) -> list[Row]:
    label = tree_label(spec)
    log(f"layers: preparing {label} ({human_size(spec.total_bytes)}; generated once into the cache)")
    tree = datagen.materialize(ctx.cache, spec)
    datagen.warm_page_cache(tree)
    errors: list[Row] = []
    measured = measure_all(ctx, spec, tree, label, errors)
    return measurement_rows(ctx, label, spec.total_bytes, measured) + errors + check_rows(label, spec, measured)


def run(ctx: Context) -> list[Row]:
    return bench_tree(ctx, small_tree(ctx)) + bench_tree(ctx, large_tree(ctx))
