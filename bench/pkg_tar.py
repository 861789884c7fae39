"""rules_pkg's pkg_tar (Debian's rules_pkg 0.9.1) on the same tree, for comparison.

Method: a tiny Bazel workspace in the cache (never in /workspace) holds a hard-linked copy of
the tree as `data/` and two targets, `//:t` (.tar.gz) and `//:u` (.tar). One `bazel build`
warms it (and, when the actions run, reports their wall time in the execution log); then
`bazel aquery` gives each PackageTar action's exact argv and environment, and that command
(rules_pkg's build_tar launcher, i.e. build_tar.py under the system python3) is run and timed
directly from the execution root, writing to a scratch path. That times the packaging work
alone, without Bazel's analysis, input hashing or sandbox set-up.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from typing import Optional

from bench.common import Context, log
from bench.datagen import iter_files
from bench.execlog import walltime_seconds
from bench.measure import Timing, best_of, file_size, remove, run_checked, run_timed
from tools.actionkey.execution_log import read_log_objects

# The project's own bazel_deps resolve offline in the build environment, and every module its
# /etc/bazel.bazelrc overrides (rules_shell, stardoc, ...) must be in the graph or Bazel refuses
# the override: so the workspace depends on exactly what the project's MODULE.bazel names.
MODULE_HEADER = """\
module(name = "reproimage_bench_pkg_tar")

# bazel_dep lines copied from the project's MODULE.bazel by bench/pkg_tar.py.
"""
_BAZEL_DEP = re.compile(r"^bazel_dep\([^)]*\)", re.MULTILINE)
RULES_PKG_DEP = 'bazel_dep(name = "rules_pkg", version = "0.9.1")'

BUILD_BAZEL = """\
load("@rules_pkg//pkg:tar.bzl", "pkg_tar")

pkg_tar(name = "t", srcs = glob(["data/**"]), extension = "tar.gz", strip_prefix = ".")

pkg_tar(name = "u", srcs = glob(["data/**"]), extension = "tar", strip_prefix = ".")
"""

BAZELRC = """\
common --enable_bzlmod
common --noenable_workspace
# The warm-up build only has to produce the tool and the manifests: no sandbox for 50,000 inputs.
build --spawn_strategy=local
"""

TARGETS = {"gz": "//:t", "tar": "//:u"}
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclasses.dataclass(frozen=True)
class ActionCommand:
    arguments: list[str]
    env: dict[str, str]


@dataclasses.dataclass(frozen=True)
class PkgTarRun:
    timing: Timing
    size: int
    bazel_walltime: Optional[float]  # the action's wall time inside `bazel build`, if it ran there


def _link_tree(source: str, destination: str) -> None:
    for path in iter_files(source):
        target = os.path.join(destination, os.path.relpath(path, source))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.link(path, target)


def module_bazel(repo: str) -> str:
    with open(os.path.join(repo, "MODULE.bazel"), encoding="utf-8") as f:
        deps = _BAZEL_DEP.findall(f.read())
    if not any('"rules_pkg"' in dep for dep in deps):
        deps.append(RULES_PKG_DEP)
    return MODULE_HEADER + "\n".join(deps) + "\n"


def _write_if_changed(path: str, text: str) -> None:
    """Rewriting an unchanged file would make Bazel redo the module resolution."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def workspace(ctx: Context, key: str, tree: str) -> str:
    """The Bazel workspace for `tree`: data/ created once (atomically), the files around it
    refreshed on every run (the project's MODULE.bazel may have changed)."""
    final = os.path.join(ctx.cache, "pkg_tar", key)
    if not os.path.isdir(final):
        partial = f"{final}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        _link_tree(tree, os.path.join(partial, "data"))
        os.rename(partial, final)
    for name, text in (("MODULE.bazel", module_bazel(ctx.repo)), ("BUILD.bazel", BUILD_BAZEL), (".bazelrc", BAZELRC)):
        _write_if_changed(os.path.join(final, name), text)
    return final


def warm_build(ctx: Context, ws: str) -> dict[str, float]:
    """Builds both targets; returns the wall time of each PackageTar action that ran, by label."""
    exec_log = os.path.join(ctx.work, "pkg_tar_exec_log.json")
    remove(exec_log)
    run_checked(["bazel", "build", *TARGETS.values(), f"--execution_log_json_file={exec_log}",
                 "--noexecution_log_sort"], cwd=ws, log_path=os.path.join(ctx.work, "pkg_tar_bazel.log"))
    walltimes = {}
    for spawn in read_log_objects(exec_log):
        seconds = walltime_seconds(spawn)
        if spawn.get("mnemonic") == "PackageTar" and seconds is not None:
            walltimes[_short_label(spawn.get("targetLabel", ""))] = seconds
    remove(exec_log)
    return walltimes


def _short_label(label: str) -> str:
    return label.removeprefix("@@").removeprefix("@")


def action_commands(ws: str) -> dict[str, ActionCommand]:
    """Each PackageTar action's argv and environment, by target label."""
    query = "mnemonic('PackageTar', " + " + ".join(TARGETS.values()) + ")"
    graph = json.loads(run_checked(["bazel", "aquery", query, "--output=jsonproto"], cwd=ws))
    labels = {target["id"]: _short_label(target["label"]) for target in graph.get("targets", [])}
    commands = {}
    for action in graph.get("actions", []):
        env = {pair["key"]: pair["value"] for pair in action.get("environmentVariables", [])}
        commands[labels[action["targetId"]]] = ActionCommand(list(action["arguments"]), env)
    return commands


def _retarget(arguments: list[str], output: str) -> list[str]:
    return [f"--output={output}" if arg.startswith("--output=") else arg for arg in arguments]


def run_direct(ctx: Context, execroot: str, command: ActionCommand, output: str) -> Timing:
    env = {"PATH": _PATH, "TMPDIR": ctx.work, **command.env}
    argv = _retarget(command.arguments, output)
    return best_of(ctx.repeat, lambda: run_timed([argv], cwd=execroot, env=env))


def measure(ctx: Context, key: str, tree: str) -> dict[str, PkgTarRun]:
    """Times pkg_tar's .tar.gz and .tar actions on `tree`; keys "gz" and "tar"."""
    ws = workspace(ctx, key, tree)
    try:
        log(f"pkg_tar: warm-up bazel build in {ws}")
        walltimes = warm_build(ctx, ws)
        commands = action_commands(ws)
        execroot = run_checked(["bazel", "info", "execution_root"], cwd=ws).strip()
    finally:
        run_checked(["bazel", "shutdown"], cwd=ws)  # its server would only compete for memory
    runs = {}
    for kind, label in TARGETS.items():
        output = os.path.join(ctx.work, f"pkg_tar_{key}.{kind}")
        log(f"pkg_tar: timing {label} ({kind}) directly")
        timing = run_direct(ctx, execroot, commands[label], output)
        runs[kind] = PkgTarRun(timing, file_size(output), walltimes.get(label))
        remove(output)
    return runs
