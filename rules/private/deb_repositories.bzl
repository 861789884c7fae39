"""Repository rules that fetch Debian packages named in a lock, by sha256 only.

Bazel verifies each download against the lock's sha256 before it enters the content-addressed
repository cache, so a mismatching mirror fails the fetch and poisons nothing.
"""

def _deb_package_impl(rctx):
    rctx.download(
        url = rctx.attr.urls,
        sha256 = rctx.attr.sha256,
        output = "package.deb",
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
    attrs = {
        "package": attr.string(mandatory = True),
        "version": attr.string(mandatory = True),
        "architecture": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(mandatory = True),
    },
)

# Absolute symlinks in packages (glibc's ld.so link, Python's config links) point at the target
# system's root; inside a repository they would point at the host. Repoint them into the tree.
_REPOINT_ABSOLUTE_SYMLINKS = """
set -eu
cd "$1"
find . -type l | LC_ALL=C sort | while read -r link; do
  target=$(readlink "$link")
  case $target in
    /*)
      dir=$(dirname "$link")
      up=$(printf '%s' "${dir#./}" | sed -e 's#[^/][^/]*#..#g')
      ln -sfn "${up:-.}${target}" "$link"
      ;;
  esac
done
find . -xtype l -delete
"""

def _deb_tree_impl(rctx):
    for index, package in enumerate(rctx.attr.packages):
        name, sha256 = package.split("=", 1)
        staging = "_deb_%d" % index
        rctx.download_and_extract(
            url = rctx.attr.urls[name],
            sha256 = sha256,
            type = "deb",
            output = staging,
        )
        data = None
        for candidate in ["data.tar.xz", "data.tar.zst", "data.tar.gz", "data.tar.bz2", "data.tar"]:
            if rctx.path("%s/%s" % (staging, candidate)).exists:
                data = candidate
                break
        if not data:
            fail("package %s has no data.tar member" % name)
        rctx.extract("%s/%s" % (staging, data), output = ".")
        rctx.delete(staging)
    result = rctx.execute(["/bin/sh", "-c", _REPOINT_ABSOLUTE_SYMLINKS, "repoint", str(rctx.path("."))])
    if result.return_code != 0:
        fail("repointing symlinks in %s failed: %s" % (rctx.name, result.stderr))
    rctx.file("BUILD.bazel", """\
# Packages {packages}, unpacked into one tree.
package(default_visibility = ["//visibility:public"])

# An interpreter run from this directory (by a repository rule or `bazel run`) writes bytecode
# caches into it; they are not part of the packages and must never reach a layer.
_EXCLUDE = ["BUILD.bazel", "REPO.bazel", "WORKSPACE", "**/__pycache__/**", "**/*.pyc"]

exports_files(glob(["**"], exclude = _EXCLUDE))

filegroup(
    name = "files",
    srcs = glob(["**"], exclude = _EXCLUDE),
)
""".format(packages = ", ".join([p.split("=")[0] for p in rctx.attr.packages])))

deb_tree = repository_rule(
    implementation = _deb_tree_impl,
    doc = "Several packages' data members unpacked into one directory tree (interpreters, compilers).",
    attrs = {
        "packages": attr.string_list(mandatory = True, doc = "NAME=SHA256 entries."),
        "urls": attr.string_list_dict(mandatory = True, doc = "NAME -> URLs."),
    },
)
