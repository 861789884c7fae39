"""The toolchain's command lines, run: deterministic outputs, no clock, no build path, no environment.

Compiles and links here run the test's copies of the wrappers from a directory laid out like an
execution root (toolchain_env.ExecRoot), with the flags the toolchain gives Bazel's actions
(//toolchains/cc/tests:command_lines), so they are the builds Bazel runs, at paths of the test's
choosing.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tools.elf.elf_file import read_elf
from toolchain_env import ExecRoot, command_lines, runfiles_root, wrappers

SOURCE = os.environ["CLOCK_SOURCE"]
DETERMINISM = [
    "-no-canonical-prefixes",
    "-ffile-compilation-dir=.",
    "-Werror=date-time",
    "-Wno-builtin-macro-redefined",
    '-D__DATE__="redacted"',
    '-D__TIMESTAMP__="redacted"',
    '-D__TIME__="redacted"',
]
# Fragments of paths that must never reach an output: the test's own places stand for the build's.
BUILD_PATHS = ["/workspace/", "/execroot/", "/sandbox/", "_main~", "external/", "bazel-out/"]


def _compile_argv(root: ExecRoot, action: str, output: str, extra=()) -> list[str]:
    line = command_lines()[action]
    args = [{"SOURCE": SOURCE, "OUTPUT": output}.get(a, a) for a in line["arguments"]]
    return [root.wrapper(os.path.basename(line["tool"]))] + args + list(extra)


def _run(root: ExecRoot, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    # The strict environment of an action: nothing but a PATH that leads nowhere.
    env = {"PATH": "/nonexistent"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(argv, cwd=root.path, env=env, capture_output=True, text=True, **kwargs)


def _compile(tmp_path, name: str, extra=()) -> bytes:
    root = ExecRoot.make(str(tmp_path / name / "execroot"))
    result = _run(root, _compile_argv(root, "c++-compile", "clock.o", ["-g", *extra]))
    assert result.returncode == 0, result.stderr
    with open(os.path.join(root.path, "clock.o"), "rb") as f:
        return f.read()


def test_compile_flags_come_after_the_targets_own():
    for action in ("c-compile", "c++-compile"):
        args = command_lines()[action]["arguments"]
        user = args.index("-DUSER_COPT")
        for flag in DETERMINISM + ["--no-default-config"]:
            assert flag in args, f"{action} lacks {flag}"
        for flag in DETERMINISM:
            assert args.index(flag) > user, f"{action}: a target's copts could undo {flag}"
        maps = [a for a in args if a.startswith("-ffile-prefix-map=")]
        assert sorted(m.split("=", 1)[1].rsplit("~", 1)[-1] for m in maps) == ["clang16_sysroot/=/", "clang16_tools/=/"]
        assert any(a.startswith("--sysroot=") and a.endswith("clang16_sysroot") for a in args)
    assert "-stdlib=libc++" in command_lines()["c++-compile"]["arguments"]
    assert "-stdlib=libc++" not in command_lines()["c-compile"]["arguments"]


def test_link_flags():
    library = command_lines()["c++-link-dynamic-library"]["arguments"]
    executable = command_lines()["c++-link-executable"]["arguments"]
    for args in (library, executable):
        for flag in ("-fuse-ld=lld", "-Wl,--build-id=sha1", "-static-libgcc", "-stdlib=libc++", "-no-canonical-prefixes"):
            assert flag in args
        assert any(a.startswith("--ld-path=") and a.endswith("/ld.lld") for a in args)
    assert "-static-libstdc++" in executable and "-static-libstdc++" not in library
    assert os.path.basename(command_lines()["c++-link-dynamic-library"]["tool"]) == "clang++"
    assert os.path.basename(command_lines()["c-compile"]["tool"]) == "clang"


def test_clock_macros_are_redacted(tmp_path):
    data = _compile(tmp_path, "a")
    assert b"redacted redacted redacted toolchains/cc/tests/testdata/clock.cc" in data


def test_the_clock_without_the_redaction_is_an_error(tmp_path):
    # The redefinitions come after every target's copts, so the warning has nothing to catch;
    # it is there for a compile that lacks them (a changed toolchain, a new action kind).
    root = ExecRoot.make(str(tmp_path / "execroot"))
    argv = [a for a in _compile_argv(root, "c++-compile", "clock.o") if not a.startswith(("-D__DATE__", "-D__TIME"))]
    result = _run(root, argv)
    assert result.returncode != 0
    assert "expansion of date or time macro is not reproducible [-Werror,-Wdate-time]" in result.stderr


def test_objects_do_not_depend_on_the_build_path(tmp_path):
    a = _compile(tmp_path, "a")
    b = _compile(tmp_path, "a much/longer path/to another build")
    assert a == b
    for fragment in BUILD_PATHS + [str(tmp_path)]:
        assert fragment.encode() not in a, fragment
    assert b"/usr/include/c++/v1" in a  # sysroot headers, named as on the target system


def test_shared_libraries_do_not_depend_on_the_build_path(tmp_path):
    outputs = []
    for name in ("one", "two/deeper"):
        root = ExecRoot.make(str(tmp_path / name / "execroot"))
        assert _run(root, _compile_argv(root, "c++-compile", "clock.o", ["-fPIC"])).returncode == 0
        link = command_lines()["c++-link-dynamic-library"]
        ld_path = next(a.split("=", 1)[1] for a in link["arguments"] if a.startswith("--ld-path="))
        root.provide(ld_path, wrappers()["ld.lld"])
        args = [{"OUTPUT": "libclock.so"}.get(a, a) for a in link["arguments"] if a != "-Wl,--user-linkopt"]
        result = _run(root, [root.wrapper("clang++")] + args + ["clock.o"])
        assert result.returncode == 0, result.stderr
        with open(os.path.join(root.path, "libclock.so"), "rb") as f:
            outputs.append(f.read())
    assert outputs[0] == outputs[1]
    path = tmp_path / "libclock.so"
    path.write_bytes(outputs[0])
    info = read_elf(str(path))
    assert info.needed == ("libc++.so.1", "libc++abi.so.1", "libunwind.so.1", "libm.so.6", "libc.so.6")
    assert len(info.build_id or b"") == 20


@pytest.mark.parametrize("variable,value", [
    ("LD_PRELOAD", "/nonexistent/libpreload.so"),
    ("LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu"),
    ("CPATH", "/usr/include"),
    ("CPLUS_INCLUDE_PATH", "/usr/include/c++/14"),
    ("CCC_OVERRIDE_OPTIONS", "#+-nonexistent-flag"),
    ("COMPILER_PATH", "/usr/bin"),
])
def test_wrappers_ignore_the_environment(tmp_path, variable, value):
    plain = _compile(tmp_path, "plain")
    root = ExecRoot.make(str(tmp_path / "env" / "execroot"))
    result = _run(root, _compile_argv(root, "c++-compile", "clock.o", ["-g"]), env={variable: value})
    assert result.returncode == 0, result.stderr
    # The loader that starts /bin/sh reads LD_PRELOAD before the wrapper can drop it, and says so
    # once; the tool itself (which would say so a second time) never sees it.
    expected = "" if variable != "LD_PRELOAD" else f"ERROR: ld.so: object '{value}' from LD_PRELOAD cannot be preloaded"
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == (variable == "LD_PRELOAD"), result.stderr
    with open(os.path.join(root.path, "clock.o"), "rb") as f:
        assert f.read() == plain


def test_wrappers_need_only_sh():
    for name, path in wrappers().items():
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f.read().splitlines() if line and not line.startswith("#")]
        assert lines[0].startswith("unset LD_PRELOAD "), name
        assert lines[1].startswith("exec ") and "ld-linux-x86-64.so.2' --inhibit-cache --library-path" in lines[1], name
        assert len(lines) == 2, name  # no command but sh's own builtins


# What Bazel built with the toolchain.

def _built_files() -> list[str]:
    files = os.environ["CLOCK_ARCHIVE"].split() + os.environ["CLOCK_OBJECTS"].split() + [os.environ["CLOCK_SO"]]
    return [f for f in files if f.endswith((".a", ".lo", ".o", ".so"))]  # .lo: an alwayslink archive


def test_built_outputs_hold_no_build_path():
    output_base = os.path.realpath(os.environ["CLOCK_SO"]).split("/execroot/")[0]
    built = _built_files()
    assert any(f.endswith(".o") for f in built) and any(f.endswith(".lo") for f in built)
    for path in built:
        with open(path, "rb") as f:
            data = f.read()
        for fragment in BUILD_PATHS + [output_base, runfiles_root()]:
            assert fragment.encode() not in data, f"{fragment!r} in {path}"
        assert b"redacted" in data, path


def test_archives_are_deterministic():
    for path in _built_files():
        if not path.endswith((".a", ".lo")):
            continue
        with open(path, "rb") as f:
            data = f.read()
        assert data.startswith(b"!<arch>\n")
        at = 8
        while at < len(data):
            header = data[at:at + 60]
            name, mtime, uid, gid, mode = header[:16], header[16:28], header[28:34], header[34:40], header[40:48]
            # The symbol table ("/") has mode 0; every member: no time, no owner, mode 0644.
            wanted_mode = b"0" if name.strip() in (b"/", b"/SYM64/") else b"644"
            assert (mtime.strip(), uid.strip(), gid.strip(), mode.strip()) == (b"0", b"0", b"0", wanted_mode), header
            at += 60 + int(header[48:58])
            at += at % 2
