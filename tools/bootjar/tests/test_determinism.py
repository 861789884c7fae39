"""The jar's bytes depend on the inputs' contents only: not on entry order, input compression,
entry times, file times, paths, umask, time zone, locale or the order of the runtime jars."""

from __future__ import annotations

import os
import random
import shutil
import zipfile

from tools.bootjar.tests.jarfixtures import (
    build, raw_entries, run_tool, standard_inputs, write_spec)


def test_same_bytes_whatever_the_inputs_entry_order_compression_and_times(tmp_path):
    a = standard_inputs(tmp_path / "a")
    b = standard_inputs(tmp_path / "b", order="shuffled", seed=7, level=9, date_time=(1999, 12, 31, 23, 59, 58))
    c = standard_inputs(tmp_path / "c", order="reversed", compression=zipfile.ZIP_STORED, level=None,
                        directories=False)
    # The runtime jars themselves are copied byte for byte, so give all three runs the same ones.
    for inputs in (b, c):
        for (_, jar), (_, reference) in zip(inputs.libs, a.libs):
            shutil.copyfile(reference.path, jar.path)
    assert a.app.path.read_bytes() != b.app.path.read_bytes() != c.app.path.read_bytes()
    jars = [build(tmp_path / name, inputs.spec()).read_bytes()
            for name, inputs in (("a", a), ("b", b), ("c", c))]
    assert jars[0] == jars[1] == jars[2]


def test_same_bytes_whatever_the_runtime_jar_order(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    spec = inputs.spec()
    reference = build(tmp_path, spec, "ref.jar").read_bytes()
    for seed in range(3):
        shuffled = dict(spec, libs=random.Random(seed).sample(spec["libs"], len(spec["libs"])))
        assert build(tmp_path, shuffled, f"s{seed}.jar").read_bytes() == reference


def test_classpath_order_changes_only_the_lib_block_and_its_index(tmp_path):
    inputs = standard_inputs(tmp_path / "in")
    spec = inputs.spec(lib_order="classpath")
    one = build(tmp_path, spec, "one.jar").read_bytes()
    two = build(tmp_path, dict(spec, libs=spec["libs"][::-1]), "two.jar").read_bytes()
    assert one != two
    names_one = [e.name for e in raw_entries(one)[0]]
    names_two = [e.name for e in raw_entries(two)[0]]
    libs = [n for n in names_one if n.startswith("BOOT-INF/lib/") and n.endswith(".jar")]
    assert [n for n in names_two if n in libs] == libs[::-1]
    assert [n for n in names_one if n not in libs] == [n for n in names_two if n not in libs]


def test_same_bytes_across_paths_file_times_umask_time_zone_and_locale(tmp_path):
    outputs = []
    settings = [("UTC", "C", 0o022), ("Pacific/Kiritimati", "tr_TR.UTF-8", 0o077)]
    for i, (tz, lc_all, umask) in enumerate(settings):
        root = tmp_path / f"run{i}" / ("deeper/" * i) / "ws"
        inputs = standard_inputs(root / "in")
        for path in root.rglob("*"):
            os.utime(path, (1_000_000_000 + i * 86_400 * 999, 1_000_000_000 + i * 86_400 * 999))
            os.chmod(path, 0o755 if path.is_dir() else (0o600 if i else 0o644))
        spec = inputs.spec()
        if i == 1:  # relative paths, from another working directory
            spec = {k: v for k, v in spec.items()}
            spec["loader"] = os.path.relpath(spec["loader"], root)
            spec["classes"] = [os.path.relpath(p, root) for p in spec["classes"]]
            spec["libs"] = [dict(lib, path=os.path.relpath(lib["path"], root)) for lib in spec["libs"]]
        spec_path = write_spec(root / "spec.json", spec)
        out = root / "out" / "app.jar"
        out.parent.mkdir()
        env = {**os.environ, "TZ": tz, "LC_ALL": lc_all, "USER": f"user{i}", "HOSTNAME": f"host{i}"}
        result = run_tool([f"--spec={spec_path}", f"--output={out}"], cwd=root, env=env, umask=umask)
        assert result.returncode == 0, result.stderr
        assert out.stat().st_mode & 0o777 == 0o644
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
