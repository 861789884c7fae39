"""The `maven` module extension: Maven locks -> one repository per artifact and a hub per lock."""

load(":maven_repositories.bzl", "maven_artifact")

# Loaded by the hubs: an artifact's file target carries its lock entry to the SBOM and provenance.
_LOCKED_FILE = str(Label(":locked_file.bzl"))

def _escape(text):
    return "".join([c if c.isalnum() else "_" for c in text.elems()])

def maven_target_name(key):
    """The hub target of a lock key: every character but letters and digits becomes `_`.

    `org.springframework:spring-core` -> `org_springframework_spring_core`,
    `org.example:natives:jar:linux-x86_64` -> `org_example_natives_jar_linux_x86_64`.

    Args:
      key: a lock key (`group:artifact[:packaging[:classifier]]`).

    Returns:
      The target name.
    """
    return _escape(key)

def maven_repository_name(key, version):
    return "maven__%s__%s" % (_escape(key), _escape(version))

def lock_display(label):
    """`//pkg:x.lock.json` for a lock of the main module (`@@//pkg:...` in Bazel 7)."""
    text = str(label)
    return text[2:] if text.startswith("@@//") else text

def relock_command(label):
    """The command that re-locks a lock file.

    Args:
      label: the lock's label, e.g. `//toolchains/maven:spring.lock.json`.

    Returns:
      `bazel run //toolchains/maven:spring.lock` for it.
    """
    name = label.name
    if name.endswith(".lock.json"):
        name = name[:-len(".json")]
    target = "//%s:%s" % (label.package, name)
    repo = lock_display(label)
    if not repo.startswith("//"):
        target = repo[:repo.index("//")] + target
    return "bazel run " + target

def _read_lock(module_ctx, label):
    lock = json.decode(module_ctx.read(module_ctx.path(label)))
    if lock.get("lock_version") != 1:
        fail("%s: unsupported lock_version %s (expected 1); re-lock with `%s`" % (
            lock_display(label),
            lock.get("lock_version"),
            relock_command(label),
        ))
    return lock["artifacts"]

def _coordinates(key, artifact):
    return "%s:%s" % (key, artifact["version"])

def _hub_impl(rctx):
    lock = rctx.attr.lock
    artifacts = json.decode(rctx.attr.artifacts)
    keys = sorted(artifacts)
    lines = [
        "# Artifacts of the Maven lock %s: `<target>` is a java_import (or, for a pom, a" % lock,
        "# java_library exporting its dependencies), `<target>.<packaging>` the file itself.",
        'load("@rules_java//java:defs.bzl", "java_import", "java_library")',
        'load("%s", "locked_file")' % _LOCKED_FILE,
        "",
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    for key in keys:
        a = artifacts[key]
        name = maven_target_name(key)
        deps = ", ".join(['":%s"' % maven_target_name(d) for d in a["dependencies"]])

        # Test-scoped artifacts are testonly: a production target that reaches one fails analysis.
        testonly = "True" if a["scope"] == "test" else "False"
        lines.append('locked_file(name = "%s.%s", src = "@%s//:%s", lock = "%s", lock_label = "%s", kind = "maven", key = "%s", testonly = %s)' % (
            name,
            a["packaging"],
            a["repository"],
            a["file"],
            rctx.attr.lock_target,
            lock,
            key,
            testonly,
        ))
        tags = '["maven_coordinates=%s", "maven_closure=%s"]' % (_coordinates(key, a), a["closure"])
        if a["packaging"] == "pom":
            lines.append('java_library(name = "%s", exports = [%s], tags = %s, testonly = %s)' % (name, deps, tags, testonly))
        else:
            lines.append('java_import(name = "%s", jars = [":%s.%s"], deps = [%s], tags = %s, testonly = %s)' % (
                name,
                name,
                a["packaging"],
                deps,
                tags,
                testonly,
            ))
    runtime = [k for k in keys if artifacts[k]["closure"] == "runtime"]
    lines += [
        "",
        "# Every file of the runtime closure (compile and runtime scope).",
        "filegroup(",
        '    name = "runtime_files",',
        "    srcs = [%s]," % ", ".join(['":%s.%s"' % (maven_target_name(k), artifacts[k]["packaging"]) for k in runtime]),
        ")",
    ]
    rctx.file("BUILD.bazel", "\n".join(lines) + "\n")

    entries = []
    for key in keys:
        a = artifacts[key]
        name = maven_target_name(key)
        entries.append("\n".join([
            "    %s: {" % repr(key),
            '        "target": Label("//:%s"),' % name,
            '        "file": Label("//:%s.%s"),' % (name, a["packaging"]),
            '        "file_name": %s,' % repr(a["file"]),
            '        "coordinates": %s,' % repr(_coordinates(key, a)),
            '        "version": %s,' % repr(a["version"]),
            '        "packaging": %s,' % repr(a["packaging"]),
            '        "sha256": %s,' % repr(a["sha256"]),
            '        "size": %d,' % a["size"],
            '        "scope": %s,' % repr(a["scope"]),
            '        "closure": %s,' % repr(a["closure"]),
            '        "dependencies": %s,' % repr(a["dependencies"]),
            "    },",
        ]))
    rctx.file("artifacts.bzl", "\n".join([
        '"""The Maven lock %s, as Starlark (generated by the maven extension)."""' % lock,
        "",
        "LOCK = %s" % repr(lock),
        "",
        "# lock key -> the artifact: its java_import target, its file, what the lock says of it.",
        "ARTIFACTS = {",
    ] + entries + [
        "}",
        "",
        "# The runtime closure (Maven's compile and runtime scopes: what an application needs), as",
        "# lock keys, sorted; test and provided artifacts are never in it.",
        "RUNTIME = %s" % repr(runtime),
        "",
        "# Their java_import targets and their files, in the same order.",
        "RUNTIME_TARGETS = [%s]" % ", ".join(['Label("//:%s")' % maven_target_name(k) for k in runtime]),
        "RUNTIME_FILES = [%s]" % ", ".join(['Label("//:%s.%s")' % (maven_target_name(k), artifacts[k]["packaging"]) for k in runtime]),
        "",
    ]))

_maven_hub = repository_rule(
    implementation = _hub_impl,
    attrs = {
        "lock": attr.string(),
        "lock_target": attr.string(doc = "The lock's canonical label, for targets in the hub."),
        "artifacts": attr.string(doc = "JSON: lock key -> the lock's entry plus its repository name."),
    },
)

def _maven_impl(module_ctx):
    created = {}
    hubs = {}
    for mod in module_ctx.modules:
        for tag in mod.tags.lock:
            if tag.name in hubs:
                fail("maven.lock: two locks are named %s (%s and %s)" % (tag.name, hubs[tag.name], lock_display(tag.lock)))
            hubs[tag.name] = lock_display(tag.lock)
            lock = lock_display(tag.lock)
            artifacts = {}
            names = {}
            for key, a in _read_lock(module_ctx, tag.lock).items():
                name = maven_target_name(key)
                if name in names:
                    fail("%s: %s and %s both become the target %s; the label scheme cannot tell them apart" % (
                        lock,
                        names[name],
                        key,
                        name,
                    ))
                names[name] = key
                repo = maven_repository_name(key, a["version"])
                if repo in created and created[repo] != a["sha256"]:
                    fail("%s: %s has another sha256 than the same artifact in another lock; re-lock one of them" % (
                        lock,
                        _coordinates(key, a),
                    ))
                if repo not in created:
                    maven_artifact(
                        name = repo,
                        coordinates = _coordinates(key, a),
                        file = a["file"],
                        sha256 = a["sha256"],
                        urls = a["urls"],
                        lock = lock,
                        relock = relock_command(tag.lock),
                    )
                    created[repo] = a["sha256"]
                entry = dict(a)
                entry["repository"] = repo
                artifacts[key] = entry
            _maven_hub(name = tag.name, lock = lock, lock_target = str(tag.lock), artifacts = json.encode(artifacts))

maven = module_extension(
    implementation = _maven_impl,
    doc = """Turns Maven locks (written by `bazel run` of a `//toolchains/maven:<name>.lock` target)
into repositories: one per artifact, fetched by sha256, and one hub per lock.

```starlark
maven = use_extension("@reproimage//rules:extensions.bzl", "maven")
maven.lock(name = "maven_spring", lock = "//toolchains/maven:spring.lock.json")
use_repo(maven, "maven_spring")
```

The hub `@<name>` has, for each lock key (`group:artifact`, or
`group:artifact:packaging[:classifier]`) with every character but letters and digits
replaced by `_`:

- `@<name>//:<target>`: a `java_import` of the jar whose `deps` are the lock's edges (for a
  `pom` artifact, a `java_library` exporting them), tagged `maven_coordinates=...`;
  test-scoped artifacts are `testonly`, so a production target cannot depend on them;
- `@<name>//:<target>.<packaging>`: the file itself, byte-identical to the published artifact;
- `@<name>//:runtime_files`: the files of the runtime closure;
- `@<name>//:artifacts.bzl`: `ARTIFACTS` (lock key -> target, file, file_name, coordinates,
  version, sha256, size, scope, closure, dependencies), `RUNTIME` (the runtime closure's lock
  keys), `RUNTIME_TARGETS`, `RUNTIME_FILES`, `LOCK`.

A download whose bytes do not match the lock fails the fetch naming the artifact, the lock,
the expected and the actual sha256, and what to do.
""",
    tag_classes = {
        "lock": tag_class(
            doc = "A hub repository `@<name>` for the artifacts of one lock.",
            attrs = {
                "name": attr.string(mandatory = True, doc = "Name of the hub repository."),
                "lock": attr.label(mandatory = True, doc = "A lock written by the maven_lock tool; its package must export it (`exports_files`): the SBOM rules read it."),
            },
        ),
    },
)
