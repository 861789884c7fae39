"""`py_pytest`: a py_test that runs its test files with pytest."""

load("@pypi//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_test")

def py_pytest(name, srcs, deps = [], args = [], **kwargs):
    """A py_test running `srcs` with pytest (plus pytest and hypothesis as dependencies).

    Args:
      name: target name.
      srcs: the `test_*.py` files (and any helpers they import).
      deps: further py_library dependencies.
      args: extra pytest arguments.
      **kwargs: passed to py_test (data, size, tags, env, ...).
    """
    kwargs.setdefault("size", "small")
    py_test(
        name = name,
        srcs = srcs + ["//tools/testing:pytest_main.py"],
        main = "//tools/testing:pytest_main.py",
        args = args + ["$(rootpath %s)" % s for s in srcs if s.rpartition("/")[2].startswith("test_")],
        deps = deps + [requirement("pytest"), requirement("hypothesis")],
        **kwargs
    )
