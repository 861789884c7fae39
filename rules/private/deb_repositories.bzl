"""Repository rules that fetch Debian packages named in a lock, by sha256 only.

Bazel verifies each download against the lock's sha256 before it enters the content-addressed
repository cache, so a mismatching mirror fails the fetch and poisons nothing; the failure names
the package, the lock, both hashes and the fix (locks.bzl).
"""

load(":locks.bzl", "download_checked")

_LOCK_ATTRS = {
    "lock": attr.string(doc = "The lock the packages come from, for messages."),
    "relock": attr.string(doc = "The command that remakes the lock, for messages."),
}

def _deb_package_impl(rctx):
    download_checked(
        rctx,
        rctx.attr.urls,
        rctx.attr.sha256,
        "package.deb",
        rctx.attr.lock,
        "%s %s (%s)" % (rctx.attr.package, rctx.attr.version, rctx.attr.architecture),
        rctx.attr.relock,
    )
    rctx.file("BUILD.bazel", """\
# {name} {version} ({architecture}), fetched by sha256 from the lock.
exports_files(["package.deb"])

filegroup(
    name = "deb",
    srcs = ["package.deb"],
    visibility = ["//visibility:public"],
)
""".format(name = rctx.attr.package, version = rctx.attr.version, architecture = rctx.attr.architecture))

deb_package = repository_rule(
    implementation = _deb_package_impl,
    doc = "One `.deb` file, downloaded by sha256 from the first URL that serves it.",
    attrs = dict({
        "package": attr.string(mandatory = True),
        "version": attr.string(mandatory = True),
        "architecture": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(mandatory = True),
    }, **_LOCK_ATTRS),
)

# The unpacker runs with the machine's python3 before any pip package exists: standard library
# only, no site-packages (-S), no bytecode written into the source tree (-B).
_UNPACK = "import sys; sys.path.insert(0, sys.argv.pop(1)); from tools.debian.deb_tree import main; main()"

def _deb_tree_impl(rctx):
    python = rctx.which("python3")
    if not python:
        fail("deb.tree %s: unpacking needs a python3 (3.9 or newer) on PATH" % rctx.name)
    tool_root = rctx.path(Label("//:MODULE.bazel")).dirname
    for source in rctx.attr._unpacker_srcs:
        rctx.watch(rctx.path(source))
    data_args = []
    for index, package in enumerate(rctx.attr.packages):
        name, sha256 = package.split("=", 1)
        staging = "_deb_%d" % index
        download_checked(
            rctx,
            rctx.attr.urls[name],
            sha256,
            staging + ".deb",
            rctx.attr.lock,
            rctx.attr.entries.get(name, name),
            rctx.attr.relock,
        )
        rctx.extract(staging + ".deb", output = staging)
        rctx.delete(staging + ".deb")
        data = None
        for candidate in ["data.tar.xz", "data.tar.zst", "data.tar.gz", "data.tar.bz2", "data.tar"]:
            if rctx.path("%s/%s" % (staging, candidate)).exists:
                data = candidate
                break
        if not data:
            fail("package %s has no data.tar member" % name)
        data_args += ["--data", "%s=%s/%s" % (name, staging, data)]
        for candidate in ["control.tar.xz", "control.tar.zst", "control.tar.gz", "control.tar"]:
            if rctx.path("%s/%s" % (staging, candidate)).exists:
                data_args += ["--control", "%s=%s/%s" % (name, staging, candidate)]
                break
    if rctx.attr.lock_file:
        data_args += ["--lock", str(rctx.path(rctx.attr.lock_file)), "--lock_label", rctx.attr.lock]
    result = rctx.execute(
        [python, "-B", "-S", "-c", _UNPACK, str(tool_root)] + data_args + ["--output", "."],
        environment = {"PYTHONPATH": "", "LC_ALL": "C.UTF-8"},
    )
    if result.return_code != 0:
        fail("deb.tree %s: %s" % (rctx.name, (result.stderr or result.stdout).strip()))
    for index in range(len(rctx.attr.packages)):
        rctx.delete("_deb_%d" % index)
    rctx.file("BUILD.bazel", """\
# Packages {packages}, unpacked into one tree. deb_tree.modes records the packages' file modes:
# image layers take modes from it, never from the permission bits an executing machine reports;
# deb_tree.packages.json records the packages themselves (from the lock), for SBOMs.
package(default_visibility = ["//visibility:public"])

# An interpreter run from this directory (by a repository rule or `bazel run`) writes bytecode
# caches into it; they are not part of the packages and must never reach a layer. The rest are
# the tree's own exclusions (MODULE.bazel's deb.tree(exclude = ...)).
_EXCLUDE = ["BUILD.bazel", "REPO.bazel", "WORKSPACE", "**/__pycache__/**", "**/*.pyc"] + {exclude}

exports_files(glob(["**"], exclude = _EXCLUDE))

filegroup(
    name = "files",
    srcs = glob(["**"], exclude = _EXCLUDE),
)
""".format(
        packages = ", ".join([p.split("=")[0] for p in rctx.attr.packages]),
        exclude = json.encode(rctx.attr.exclude),
    ))

deb_tree = repository_rule(
    implementation = _deb_tree_impl,
    doc = "Several packages' data members unpacked into one directory tree (interpreters, compilers), with a mode record (tools/debian/deb_tree.py).",
    attrs = dict({
        "packages": attr.string_list(mandatory = True, doc = "NAME=SHA256 entries."),
        "urls": attr.string_list_dict(mandatory = True, doc = "NAME -> URLs."),
        "exclude": attr.string_list(doc = "Glob patterns of files left out of the tree's targets."),
        "lock_file": attr.label(allow_single_file = True, doc = "The lock the packages come from, recorded in deb_tree.packages.json."),
        "entries": attr.string_dict(doc = "NAME -> how messages name the package (`name version (arch)`)."),
        "_unpacker_srcs": attr.label_list(
            default = [
                "//tools/common:errors.py",
                "//tools/debian:deb_tree.py",
                "//tools/layer:decompress.py",
                "//tools/layer:modes.py",
                "//tools/layer:paths.py",
                "//tools/layer:tar_reader.py",
            ],
            doc = "The unpacker's sources: the tree is made again when they change.",
        ),
    }, **_LOCK_ATTRS),
)
