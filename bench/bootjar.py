"""Section `bootjar`: seconds to write a Spring Boot jar of ~25 MB from ~45 jars.

Inputs (generated once, cached): 45 runtime jars of deflated class-like entries whose sizes
fall off like a Spring Boot web application's closure (a few large jars, many small ones;
~23 MiB in all), a 200-class application jar and a jar shaped like spring-boot-loader.
`spring_boot_jar --spec S --output O` writes the boot jar (duplicate-class check on, as in a
build). The baseline is the JDK's `jar --create --no-compress` over the same entries, staged as
files beforehand (untimed): the same bytes to store, no checks, the application's classes stored
rather than deflated. A check rebuilds with the runtime jars listed in reverse order and expects
the same sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile

from bench import datagen
from bench.common import MIB, Context, Row, check, log, mb_per_s
from bench.measure import best_of, file_size, remove, run_checked, run_timed
from tools.common.digest import file_digest
from tools.common.units import human_size

SECTION = "bootjar"
JARS = 45
TOTAL = 23 * MIB  # of the runtime jars, at scale 1
ENTRY_SIZE = 3 << 10  # uncompressed bytes of one class-like entry
APP_CLASSES = 200
GENERATOR_VERSION = 1
LAUNCHER = "org/springframework/boot/loader/launch/JarLauncher.class"


def jar_sizes(ctx: Context) -> list[int]:
    """Target compressed sizes: weight 1/(i+1), the shape of a typical Spring Boot closure."""
    weights = [1 / (i + 1) for i in range(JARS)]
    total = ctx.scaled(TOTAL, minimum=JARS * 4096)
    return [max(4096, round(total * w / sum(weights))) for w in weights]


def _write_jar(path: str, stream: datagen.SemiCompressible, package: str, target: int | None, entries: int = 0,
               manifest: str = "Manifest-Version: 1.0\r\n\r\n") -> None:
    """A jar of deflated ENTRY_SIZE entries: until its size reaches `target`, or `entries` of them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("META-INF/MANIFEST.MF", manifest)
        i = 0
        while (target is not None and zf.fp.tell() < target) or i < entries:
            zf.writestr(f"{package}/C{i}.class", b"\xca\xfe\xba\xbe" + stream.read(ENTRY_SIZE))
            i += 1


def materialize_inputs(ctx: Context) -> str:
    """The cached input directory (jars/, app.jar, loader.jar), generated atomically if absent."""
    sizes = jar_sizes(ctx)
    key = json.dumps([GENERATOR_VERSION, datagen.GENERATOR_VERSION, sizes, ENTRY_SIZE, APP_CLASSES])
    final = datagen.cached_dir(ctx.cache, f"bootjar-{hashlib.sha256(key.encode()).hexdigest()[:12]}")
    if os.path.isdir(final):
        return final
    partial = f"{final}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.join(partial, "jars"))
    try:
        stream = datagen.SemiCompressible(11)
        for i, size in enumerate(sizes):
            _write_jar(os.path.join(partial, "jars", f"library{i:02d}-1.{i}.jar"), stream, f"org/lib{i:02d}", size)
        _write_jar(os.path.join(partial, "app.jar"), stream, "com/example/app", None, APP_CLASSES)
        with zipfile.ZipFile(os.path.join(partial, "loader.jar"), "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Version: 3.5.7\r\n\r\n")
            for i in range(100):
                zf.writestr(f"org/springframework/boot/loader/part/L{i}.class", b"\xca\xfe\xba\xbe" + stream.read(4000))
            zf.writestr(LAUNCHER, b"\xca\xfe\xba\xbe" + stream.read(800))
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def write_spec(ctx: Context, inputs: str, name: str, reverse: bool = False) -> str:
    jars = sorted(os.listdir(os.path.join(inputs, "jars")), reverse=reverse)
    spec = {
        "loader": os.path.join(inputs, "loader.jar"),
        "classes": [os.path.join(inputs, "app.jar")],
        "libs": [{"name": jar, "path": os.path.join(inputs, "jars", jar)} for jar in jars],
        "start_class": "com.example.app.C0",
        "build_target": "//bench:bootjar",
    }
    path = os.path.join(ctx.work, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    return path


def stage(jar: str, directory: str) -> str:
    """Extracts the boot jar's entries as files for the baseline; returns the manifest's path,
    moved out of the tree (jar --manifest adds it)."""
    shutil.rmtree(directory, ignore_errors=True)
    with zipfile.ZipFile(jar) as zf:
        zf.extractall(directory)
    manifest = directory + ".MANIFEST.MF"
    os.replace(os.path.join(directory, "META-INF", "MANIFEST.MF"), manifest)
    return manifest


def run(ctx: Context) -> list[Row]:
    log("bootjar: preparing inputs (cached after the first run)")
    inputs = materialize_inputs(ctx)
    datagen.warm_page_cache(inputs)
    lib_bytes = sum(file_size(os.path.join(inputs, "jars", j)) for j in os.listdir(os.path.join(inputs, "jars")))
    tool = ctx.tool("bootjar", "spring_boot_jar")
    ours = os.path.join(ctx.work, "boot.jar")
    spec = write_spec(ctx, inputs, "boot.json")
    log("bootjar: spring_boot_jar")

    def measure_ours():
        remove(ours)  # every timed run writes a new file (replacing one would add its unlink)
        return run_timed([[tool, "--spec", spec, "--output", ours]], cwd=ctx.repo)

    timing = best_of(ctx.repeat, measure_ours)
    size, digest = file_size(ours), file_digest(ours)
    with zipfile.ZipFile(ours) as zf:
        entries = len(zf.infolist())
    rows = [Row(SECTION, f"ours: spring_boot_jar ({JARS} jars)", seconds=timing.seconds,
                mb_per_s=mb_per_s(size, timing.seconds), peak_rss_kib=timing.peak_rss_kib,
                notes=f"jar {human_size(size)}, {entries} entries, runtime jars {human_size(lib_bytes)}, "
                      f"duplicate-class check on; {digest[:19]}...",
                raw={"seconds": timing.seconds, "jar_bytes": size, "lib_bytes": lib_bytes, "entries": entries,
                     "digest": digest, "peak_rss_kib": timing.peak_rss_kib})]

    reversed_spec = write_spec(ctx, inputs, "boot_reversed.json", reverse=True)
    again = os.path.join(ctx.work, "boot_reversed.jar")
    run_checked([tool, "--spec", reversed_spec, "--output", again], cwd=ctx.repo)
    digests = {digest, file_digest(again)}
    remove(again)
    rows.append(check(SECTION, "identical bytes with the runtime jars in reverse order", float(len(digests)),
                      lambda v: f"{int(v)} digest(s)", "1 digest", lambda v: v == 1))

    jar_tool = shutil.which("jar")
    if jar_tool is None:
        rows.append(Row(SECTION, "jar --create --no-compress", notes="no `jar` on PATH: baseline skipped"))
        return rows
    staged = os.path.join(ctx.work, "bootjar_staged")
    manifest = stage(ours, staged)
    remove(ours)
    baseline = os.path.join(ctx.work, "baseline.jar")
    command = [jar_tool, "--create", "--file", baseline, "--manifest", manifest, "--no-compress", "-C", staged, "."]
    log("bootjar: jar --create --no-compress")

    def measure_baseline():
        remove(baseline)  # as for ours
        return run_timed([command], cwd=ctx.work)

    base = best_of(ctx.repeat, measure_baseline)
    base_size = file_size(baseline)
    remove(baseline)
    shutil.rmtree(staged, ignore_errors=True)
    remove(manifest)
    rows.append(Row(SECTION, "jar --create --no-compress (same entries)", seconds=base.seconds,
                    mb_per_s=mb_per_s(base_size, base.seconds), peak_rss_kib=base.peak_rss_kib,
                    notes=f"{human_size(base_size)}; the JDK's jar tool over the staged files, everything stored",
                    raw={"seconds": base.seconds, "jar_bytes": base_size, "peak_rss_kib": base.peak_rss_kib}))
    # The baseline does strictly less (no jars to read, nothing to deflate or check): 1.5x of
    # it keeps the jar step a fraction of a second, far from a rebuild's budget.
    rows.append(check(SECTION, "time ours / jar --no-compress", timing.seconds / base.seconds,
                      lambda v: f"{v:.2f}x", "<= 1.5x", lambda v: v <= 1.5,
                      notes="ours also reads the input jars, deflates the classes and checks for duplicate classes"))
    return rows
