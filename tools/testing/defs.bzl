"""`py_pytest`: a py_test that runs its test files with pytest."""

load("@pypi//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_library", "py_test")

# Tags of a test that needs the machine's real root: it gives files to other owners, switches to
# an image's user (65532), mounts a file system, enters namespaces of its own (an unpacked image's
# root) or starts a nested Bazel. A sandbox's user namespace (mapping only root) or a remote
# worker (one user in bubblewrap, no nested namespaces) refuses some of that, so the test runs
# unsandboxed on this machine, with --config=remote too (which falls back to local for it).
REAL_ROOT_TAGS = ["no-sandbox", "no-remote-exec"]

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

def py_pytest_suite(name, package_deps, data = [], env = {}, per_test_tags = {}, per_test_data = {}, per_test_env = {}, size = "small", per_test_size = {}, visibility = None):
    """One py_pytest per `test_*.py` of the package, over a `<name>` library of all its modules.

    Every module of the test package (helpers, fixtures and the tests themselves, some of which
    import others) is in the library, so each test target sees all of them.

    Args:
      name: name of the shared py_library of the test package's modules.
      package_deps: what the tests exercise (py_library labels).
      data: runtime files of every test.
      env: environment of every test.
      per_test_tags: {"test_x.py": [tags]} for tests that need them (e.g. REAL_ROOT_TAGS).
      per_test_data: {"test_x.py": [labels]}: runtime files only that test needs (a JDK, say).
      per_test_env: {"test_x.py": {name: value}}: environment only that test needs.
      size: test size of every test.
      per_test_size: {"test_x.py": size} for tests that need more time than `size` gives.
      visibility: of the library (other test packages may reuse its fixtures).
    """
    py_library(
        name = name,
        testonly = True,
        srcs = native.glob(["*.py"]),
        visibility = visibility,
        deps = package_deps,
    )
    for src in native.glob(["test_*.py"]):
        py_pytest(
            name = src[:-len(".py")],
            size = per_test_size.get(src, size),
            srcs = [src],
            data = data + per_test_data.get(src, []),
            env = dict(env, **per_test_env.get(src, {})),
            tags = per_test_tags.get(src, []),
            deps = [":" + name],
        )
