"""The `deb` module extension: Debian package locks -> one Bazel repository per package."""

load(":deb_repositories.bzl", "deb_package", "deb_tree")

# Loaded by the hubs: a package's target carries its lock entry to the SBOM and provenance rules.
_LOCKED_FILE = str(Label(":locked_file.bzl"))

def _sanitize(text):
    return "".join([c if c.isalnum() or c in "-._" else "_" for c in text.elems()])

def package_repository_name(package):
    return "deb_%s_%s_%s" % (
        _sanitize(package["name"]),
        _sanitize(package["version"]),
        package["architecture"],
    )

def _read_lock(module_ctx, label):
    lock = json.decode(module_ctx.read(module_ctx.path(label)))
    if lock.get("lock_version") != 1:
        fail("%s: unsupported lock_version %s (expected 1); re-lock it" % (label, lock.get("lock_version")))
    return lock["packages"]

def _display(label):
    # `//pkg:x.lock.json` for a lock of the main module (`@@//pkg:...` in Bazel 7).
    return label[2:] if label.startswith("@@//") else label

def _hub_impl(rctx):
    names = sorted(rctx.attr.packages)
    lines = [
        "# Packages of the lock %s: one layer per package, and all of them merged." % rctx.attr.lock,
        'load("@reproimage//rules:defs.bzl", "deb_layer")',
        'load("%s", "locked_file")' % _LOCKED_FILE,
        "",
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    for name in names:
        repo = rctx.attr.packages[name]
        lines += [
            'locked_file(name = "%s.deb", src = "@%s//:package.deb", lock = "%s", lock_label = "%s", kind = "deb", key = "%s")' % (
                name,
                repo,
                rctx.attr.lock,
                _display(rctx.attr.lock),
                name,
            ),
            'deb_layer(name = "%s", debs = [":%s.deb"])' % (name, name),
        ]
    lines += [
        "",
        "deb_layer(",
        '    name = "layer",',
        "    debs = [%s]," % ", ".join(['":%s.deb"' % n for n in names]),
        ")",
        "",
        "filegroup(",
        '    name = "debs",',
        "    srcs = [%s]," % ", ".join(['":%s.deb"' % n for n in names]),
        ")",
    ]
    rctx.file("BUILD.bazel", "\n".join(lines) + "\n")
    rctx.file("packages.bzl", "\n".join([
        '"""Packages of the lock %s."""' % rctx.attr.lock,
        "",
        "PACKAGES = %s" % json.encode(names),
        "",
        "# One layer per package, in name order (the order is part of the image digest).",
        "LAYERS = [%s]" % ", ".join(['Label("//:%s")' % n for n in names]),
        "",
        "DEPENDS = %s" % json.encode({k: rctx.attr.depends[k] for k in sorted(rctx.attr.depends)}),
        "",
    ]))

_deb_hub = repository_rule(
    implementation = _hub_impl,
    attrs = {
        "lock": attr.string(),
        "packages": attr.string_dict(doc = "package name -> repository name"),
        "depends": attr.string_list_dict(doc = "package name -> names of the packages it depends on"),
    },
)

def _deb_impl(module_ctx):
    created = {}
    for mod in module_ctx.modules:
        for tag in mod.tags.lock:
            packages = {}
            depends = {}
            for package in _read_lock(module_ctx, tag.lock):
                repo = package_repository_name(package)
                if package["name"] in packages:
                    fail("%s: %s is locked twice (several architectures?); one lock per architecture" % (tag.lock, package["name"]))
                if repo in created and created[repo] != package["sha256"]:
                    fail("%s: %s %s (%s) has another sha256 than the same package in another lock" % (
                        tag.lock,
                        package["name"],
                        package["version"],
                        package["architecture"],
                    ))
                if repo not in created:
                    deb_package(
                        name = repo,
                        package = package["name"],
                        version = package["version"],
                        architecture = package["architecture"],
                        sha256 = package["sha256"],
                        urls = package["urls"],
                    )
                    created[repo] = package["sha256"]
                packages[package["name"]] = repo
                depends[package["name"]] = package.get("depends", [])
            _deb_hub(name = tag.name, lock = str(tag.lock), packages = packages, depends = depends)
        for tag in mod.tags.tree:
            packages = _read_lock(module_ctx, tag.lock)
            deb_tree(
                name = tag.name,
                packages = ["%s=%s" % (p["name"], p["sha256"]) for p in packages],
                urls = {p["name"]: p["urls"] for p in packages},
                exclude = tag.exclude,
                lock = tag.lock,
            )

deb = module_extension(
    implementation = _deb_impl,
    doc = "Turns Debian package locks into repositories: one per package, fetched by sha256.",
    tag_classes = {
        "lock": tag_class(
            doc = "A hub repository `@<name>` with one target per package of the lock.",
            attrs = {
                "name": attr.string(mandatory = True),
                "lock": attr.label(mandatory = True, doc = "A lock written by the deb_lock tool."),
            },
        ),
        "tree": tag_class(
            doc = "A repository `@<name>` holding every package of the lock unpacked into one tree " +
                  "(an interpreter, a JDK, a compiler): absolute symlinks repointed inside the tree, " +
                  "and `deb_tree.modes` recording every file's mode from the packages, which image " +
                  "layers use instead of the permission bits an executing machine reports.",
            attrs = {
                "name": attr.string(mandatory = True),
                "lock": attr.label(mandatory = True),
                "exclude": attr.string_list(
                    doc = "Glob patterns (relative to the tree) of files its targets leave out: files " +
                          "a package ships that the tree's users must not get, e.g. a module whose " +
                          "libraries no image carries.",
                ),
            },
        ),
    },
)
