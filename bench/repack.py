"""Section `repack`: seconds per 100 MB of .deb input for the Debian repack (deb_repack).

Two synthetic packages hold the same ~100 MB (scaled) of semi-compressible files, one built
with `dpkg-deb -Zxz`, one with `-Zzstd` (cached). deb_repack turns each into a gzip layer.
"""

from __future__ import annotations

import os
import shutil

from bench import datagen
from bench.common import MB, Context, Row, log, mb_per_s
from bench.measure import best_of, file_size, remove, run_checked, run_timed
from tools.common.units import human_size

SECTION = "repack"
FILES, FILE_SIZE = 100, 1_000_000
MEMBERS = ("xz", "zstd")

CONTROL = """\
Package: reproimage-bench-{member}
Version: 1.0
Architecture: all
Maintainer: reproimage bench <bench@example.invalid>
Description: synthetic payload for the repack benchmark
"""


def payload_spec(ctx: Context) -> datagen.TreeSpec:
    size = ctx.scaled(FILE_SIZE, minimum=1024)
    return datagen.TreeSpec("deb-payload", 4, tuple(
        (f"usr/lib/reproimage-bench/part{i:03d}.so", size) for i in range(FILES)))


def build_deb(ctx: Context, spec: datagen.TreeSpec, member: str) -> str:
    """A .deb of the payload with a data.tar.<member> (cached; built atomically)."""
    deb = os.path.join(ctx.cache, "debs", f"{spec.key}-{member}.deb")
    if os.path.exists(deb):
        return deb
    payload = datagen.materialize(ctx.cache, spec)
    root = f"{deb}.root-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(payload, root, copy_function=os.link)
    os.makedirs(os.path.join(root, "DEBIAN"), mode=0o755)
    with open(os.path.join(root, "DEBIAN", "control"), "w", encoding="utf-8") as f:
        f.write(CONTROL.format(member=member))
    partial = f"{deb}.partial-{os.getpid()}"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SOURCE_DATE_EPOCH": "0", "LC_ALL": "C"}
    try:
        run_checked(["dpkg-deb", "--root-owner-group", f"-Z{member}", "--build", root, partial], env=env)
        os.rename(partial, deb)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        remove(partial)
    return deb


def bench_member(ctx: Context, spec: datagen.TreeSpec, member: str) -> Row:
    log(f"repack: building the {member} .deb (cached after the first run)")
    deb = build_deb(ctx, spec, member)
    output = os.path.join(ctx.work, f"repack_{member}.tar.gz")
    command = [ctx.tool("debian", "deb_repack"), "--deb", deb, "--output", output,
               "--descriptor", os.path.join(ctx.work, f"repack_{member}.desc.json")]
    log(f"repack: deb_repack on data.tar.{member}")
    timing = best_of(ctx.repeat, lambda: run_timed([command], cwd=ctx.repo))
    deb_bytes, data_bytes, layer_bytes = file_size(deb), spec.total_bytes, file_size(output)
    remove(output)
    per_deb = timing.seconds / (deb_bytes / (100 * MB))
    per_data = timing.seconds / (data_bytes / (100 * MB))
    notes = (f".deb {human_size(deb_bytes)}, data {human_size(data_bytes)} ({per_data:.2f} s/100MB of data), "
             f"layer {human_size(layer_bytes)}")
    return Row(SECTION, f"data.tar.{member} -> gzip layer", seconds=timing.seconds,
               mb_per_s=mb_per_s(deb_bytes, timing.seconds), ratio=f"{per_deb:.2f} s/100MB",
               peak_rss_kib=timing.peak_rss_kib, notes=notes,
               raw={"seconds": timing.seconds, "deb_bytes": deb_bytes, "data_bytes": data_bytes,
                    "layer_bytes": layer_bytes, "seconds_per_100mb_deb": per_deb,
                    "seconds_per_100mb_data": per_data, "peak_rss_kib": timing.peak_rss_kib})


def run(ctx: Context) -> list[Row]:
    spec = payload_spec(ctx)
    return [bench_member(ctx, spec, member) for member in MEMBERS]
