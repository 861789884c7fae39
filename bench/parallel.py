"""Section `parallel`: the writer's gzip and zstd bytes must not depend on the thread count.

One ~256 MiB tree (64 files x 4 MiB, scaled) is written with --threads 1, 2, 3 and nproc;
the blobs' sha256 must be equal per compression. Times per thread count are informative.
"""

from __future__ import annotations

from bench import datagen
from bench.common import Context, Row, check, log, mb_per_s
from bench.measure import remove
from bench.writer import LayerRun, blob_path, run_writer
from tools.common.digest import file_digest
from tools.common.units import human_size

SECTION = "parallel"
FILES, FILE_SIZE = 64, 4 << 20
COMPRESSIONS = ("gzip", "zstd")


def tree_spec(ctx: Context) -> datagen.TreeSpec:
    size = ctx.scaled(FILE_SIZE, minimum=4096)
    return datagen.TreeSpec("mixed", 3, tuple((f"pkg{i // 8}/file{i:02d}.bin", size) for i in range(FILES)))


def thread_counts(nproc: int) -> list[int]:
    # 3 is odd and (on small machines) more than there are cores: a different block schedule.
    return sorted({1, 2, 3, nproc})


def _row(compression: str, threads: int, run: LayerRun, total: int) -> Row:
    t = run.timing
    return Row(SECTION, f"{compression} --threads {threads}", seconds=t.seconds, mb_per_s=mb_per_s(total, t.seconds),
               peak_rss_kib=t.peak_rss_kib, notes=f"{run.digest[:19]}..., {human_size(run.size)}",
               raw={"threads": threads, "digest": run.digest, "size": run.size, "seconds": t.seconds,
                    "peak_rss_kib": t.peak_rss_kib, "input_bytes": total})


def bench_compression(ctx: Context, tree: str, total: int, compression: str) -> list[Row]:
    rows, digests = [], set()
    for threads in thread_counts(ctx.nproc):
        log(f"parallel: {compression} --threads {threads}")
        name = f"parallel_{compression}_{threads}"
        run = run_writer(ctx, tree, name, compression, threads=threads)
        # The descriptor's digest is the writer's own hash; hash the file ourselves too.
        actual = file_digest(blob_path(ctx, name))
        remove(blob_path(ctx, name))
        digests.add(actual)
        if actual != run.digest:
            digests.add(run.digest)
        rows.append(_row(compression, threads, run, total))
    counts = ",".join(str(n) for n in thread_counts(ctx.nproc))
    rows.append(check(SECTION, f"{compression}: identical bytes for threads {counts}", float(len(digests)),
                      lambda v: f"{int(v)} digest(s)", "1 digest", lambda v: v == 1))
    return rows


def run(ctx: Context) -> list[Row]:
    spec = tree_spec(ctx)
    log(f"parallel: preparing tree ({human_size(spec.total_bytes)})")
    tree = datagen.materialize(ctx.cache, spec)
    datagen.warm_page_cache(tree)
    rows: list[Row] = []
    for compression in COMPRESSIONS:
        rows += bench_compression(ctx, tree, spec.total_bytes, compression)
    return rows
