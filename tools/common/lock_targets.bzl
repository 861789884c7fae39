"""`lock_targets`: the `bazel run` targets that re-lock a package's manifests."""

load("@rules_python//python:defs.bzl", "py_binary")

def lock_targets(tool, deps):
    """For each `<name>.toml` of the package, `<name>.lock` rewrites `<name>.lock.json`.

    Args:
      tool: the lock command's main file (it takes --manifest and --lock).
      deps: its py_library.
    """
    for manifest in native.glob(["*.toml"]):
        stem = manifest[:-len(".toml")]
        py_binary(
            name = stem + ".lock",
            srcs = [tool],
            args = [
                "--manifest",
                native.package_name() + "/" + manifest,
                "--lock",
                native.package_name() + "/" + stem + ".lock.json",
            ],
            main = tool,
            deps = deps,
        )
