"""The `deb` module extension: Debian package locks -> one Bazel repository per package."""

load(":deb_repositories.bzl", "deb_package", "deb_tree")
load(":locks.bzl", "lock_display", "lock_problem")

def package_entry(package):
    """How messages name a lock's package: `libc6 2.36-9+deb12u10 (amd64)`."""
    return "%s %s (%s)" % (package["name"], package["version"], package["architecture"])

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

# Where a lock that is not JSON goes wrong: Starlark's decoder says only an offset, and not of
# which file. The machine's python3 (which deb.tree needs anyway) tells the line and column.
_JSON_POSITION = """
import json, sys
try:
    json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
except ValueError as e:
    print(f"line {e.lineno} column {e.colno}: not valid JSON ({e.msg})" if hasattr(e, "lineno") else f"not UTF-8 ({e})")
"""

_SHA256_DIGITS = "0123456789abcdef"

def relock_command(label):
    """How the lock `label` is remade: its `<name>.lock` target (toolchains/debian/BUILD.bazel)."""
    name = label.name[:-len(".lock.json")] if label.name.endswith(".lock.json") else label.name
    return "bazel run %s" % lock_display(label.same_package_label(name + ".lock"))

def _syntax_problem(module_ctx, path):
    python = module_ctx.which("python3")
    if python:
        result = module_ctx.execute([python, "-B", "-S", "-c", _JSON_POSITION, str(path)])
        if result.stdout.strip():
            return result.stdout.strip()
    return "not valid JSON"

def check_package(entry, where):
    """The problem with one `packages` entry of a lock, or None."""
    if type(entry) != "dict":
        return "%s is not an object" % where
    for field in ("name", "version", "architecture"):
        if type(entry.get(field)) != "string" or not entry[field]:
            return "%s has no '%s' (a non-empty string)" % (where, field)
    sha256 = entry.get("sha256")
    if type(sha256) != "string" or len(sha256) != 64 or [c for c in sha256.elems() if c not in _SHA256_DIGITS]:
        return "%s: 'sha256' must be 64 lower-case hex digits" % where
    urls = entry.get("urls")
    if type(urls) != "list" or not urls or [u for u in urls if type(u) != "string" or not u]:
        return "%s: 'urls' must be a non-empty list of URLs" % where
    return None

def _read_lock(module_ctx, label):
    """The packages of a lock, each checked; any problem fails naming the lock and the entry."""
    lock = lock_display(label)
    fix = "fix the file, or re-lock it with `%s`" % relock_command(label)
    path = module_ctx.path(label)
    data = json.decode(module_ctx.read(path), default = None)
    if data == None:
        fail(lock_problem(lock, "", _syntax_problem(module_ctx, path), fix))
    if type(data) != "dict" or data.get("lock_version") != 1:
        version = data.get("lock_version") if type(data) == "dict" else None
        fail(lock_problem(lock, "", "unsupported lock_version %s (expected 1)" % version, fix))
    packages = data.get("packages")
    if type(packages) != "list":
        fail(lock_problem(lock, "", "'packages' must be a list", fix))
    for index, entry in enumerate(packages):
        where = "packages[%d]" % index
        if type(entry) == "dict" and type(entry.get("name")) == "string":
            where += " (%s)" % entry["name"]
        problem = check_package(entry, where)
        if problem:
            fail(lock_problem(lock, "", problem, fix))
    return packages

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
    created = {}  # repository name -> (sha256, lock display)
    for mod in module_ctx.modules:
        for tag in mod.tags.lock:
            packages = {}
            depends = {}
            lock = lock_display(tag.lock)
            for package in _read_lock(module_ctx, tag.lock):
                repo = package_repository_name(package)
                entry = package_entry(package)
                if package["name"] in packages:
                    fail(lock_problem(lock, entry, "%s is locked twice (several architectures?)" % package["name"], "one lock per architecture"))
                if repo in created and created[repo][0] != package["sha256"]:
                    fail(lock_problem(
                        lock,
                        entry,
                        "sha256 %s, but %s locks the same package with %s" % (package["sha256"], created[repo][1], created[repo][0]),
                        "re-lock both; one of them is stale",
                    ))
                if repo not in created:
                    deb_package(
                        name = repo,
                        package = package["name"],
                        version = package["version"],
                        architecture = package["architecture"],
                        sha256 = package["sha256"],
                        urls = package["urls"],
                        lock = lock,
                        relock = relock_command(tag.lock),
                    )
                    created[repo] = (package["sha256"], lock)
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
                lock_file = tag.lock,
                entries = {p["name"]: package_entry(p) for p in packages},
                lock = lock_display(tag.lock),
                relock = relock_command(tag.lock),
            )

deb = module_extension(
    implementation = _deb_impl,
    doc = "Turns Debian package locks into repositories: one per package, fetched by sha256.",
    tag_classes = {
        "lock": tag_class(
            doc = "A hub repository `@<name>` with one target per package of the lock.",
            attrs = {
                "name": attr.string(mandatory = True),
                "lock": attr.label(mandatory = True, doc = "A lock written by the deb_lock tool; its package must export it (`exports_files`): the SBOM rules read it."),
            },
        ),
        "tree": tag_class(
            doc = "A repository `@<name>` holding every package of the lock unpacked into one tree " +
                  "(an interpreter, a JDK, a compiler): absolute symlinks repointed inside the tree, " +
                  "and `deb_tree.modes` recording every file's mode from the packages, which image " +
                  "layers use instead of the permission bits an executing machine reports.",
            attrs = {
                "name": attr.string(mandatory = True),
                "lock": attr.label(mandatory = True, doc = "A lock written by the deb_lock tool, exported like `lock` above."),
                "exclude": attr.string_list(
                    doc = "Glob patterns (relative to the tree) of files its targets leave out: files " +
                          "a package ships that the tree's users must not get, e.g. a module whose " +
                          "libraries no image carries.",
                ),
            },
        ),
    },
)
