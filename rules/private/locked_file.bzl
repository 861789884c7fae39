"""`locked_file`: a file from a lock, carrying what the evidence rules need to name it.

The deb and maven hubs wrap each fetched artifact in one, so that an SBOM can say which lock
entry a `.deb` in a layer or a jar in `BOOT-INF/lib/` is, and a provenance which locks an image
was built from, without any BUILD file saying so.
"""

load(":providers.bzl", "LockedFileInfo", "LockedInputsInfo")

def _locked_file_impl(ctx):
    info = LockedFileInfo(
        file = ctx.file.src,
        lock = ctx.file.lock,
        lock_label = ctx.attr.lock_label or str(ctx.attr.lock.label),
        kind = ctx.attr.kind,
        key = ctx.attr.key,
    )
    return [
        DefaultInfo(files = depset([ctx.file.src]), runfiles = ctx.runfiles(files = [ctx.file.src])),
        info,
    ]

locked_file = rule(
    implementation = _locked_file_impl,
    doc = "One artifact of a lock (made by the deb and maven extensions, not written by hand).",
    attrs = {
        "src": attr.label(allow_single_file = True, mandatory = True, doc = "The fetched artifact."),
        "lock": attr.label(allow_single_file = True, mandatory = True, doc = "The lock file."),
        "lock_label": attr.string(doc = "The lock's label as users write it (default: the label of `lock`)."),
        "kind": attr.string(mandatory = True, values = ["deb", "maven"]),
        "key": attr.string(mandatory = True, doc = "The artifact's key in the lock."),
    },
)

def _locked_inputs_aspect_impl(target, ctx):
    direct = [target[LockedFileInfo]] if LockedFileInfo in target else []
    transitive = []
    for attr in _EDGES:
        value = getattr(ctx.rule.attr, attr, None)
        for dep in (value if type(value) == "list" else [value]):
            if type(dep) == "Target" and LockedInputsInfo in dep:
                transitive.append(dep[LockedInputsInfo].files)
    return [LockedInputsInfo(files = depset(direct, transitive = transitive))]

# The edges along which a jar or a native library is made from locked files: Java classpaths
# (deps, runtime_deps, exports, a java_import's jars) and generated files (srcs, data, the jar that
# jar_files extracts from).
_EDGES = ["deps", "runtime_deps", "exports", "jars", "jar", "srcs", "data"]

locked_inputs_aspect = aspect(
    implementation = _locked_inputs_aspect_impl,
    attr_aspects = _EDGES,
    # A native library given as one output of a rule (jar_files' outs) is made by that rule.
    apply_to_generating_rules = True,
    doc = "Collects the LockedFileInfo of everything a target is made from.",
)
