"""`deb_layer`: Debian packages -> one normalized layer with dpkg status records."""

load(":layer_action.bzl", "MEDIA_SUFFIX")
load(":layer_contents.bzl", "label_text", "locked_json", "write_contents")
load(":providers.bzl", "LayerInfo", "LockedFileInfo")

def _deb_layer_impl(ctx):
    blob = ctx.actions.declare_file(ctx.label.name + MEDIA_SUFFIX[ctx.attr.compression])
    descriptor = ctx.actions.declare_file(ctx.label.name + ".descriptor.json")
    args = ctx.actions.args()
    args.add_all(ctx.files.debs, before_each = "--deb")
    args.add("--output", blob)
    args.add("--descriptor", descriptor)
    args.add("--compression", ctx.attr.compression)
    ctx.actions.run(
        executable = ctx.executable._repack,
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = [blob, descriptor],
        mnemonic = "DebLayer",
        use_default_shell_env = True,
        progress_message = "Repacking %d Debian package(s) for %%{label}" % len(ctx.files.debs),
    )
    # For the SBOM: each package with the lock entry it was fetched by (a .deb given as a plain
    # file has none; its control file still says what it is).
    contents = []
    contents_inputs = []
    for target in ctx.attr.debs:
        locked = target[LockedFileInfo] if LockedFileInfo in target else None
        for deb in target.files.to_list():
            contents.append({
                "kind": "deb",
                "file": deb.path,
                "label": label_text(target.label),
                "locked": locked_json(locked) if locked and locked.file == deb else None,
            })
            contents_inputs.append(deb)
            if locked:
                contents_inputs.append(locked.lock)
    return [
        DefaultInfo(files = depset([blob])),
        LayerInfo(blob = blob, descriptor = descriptor),
        write_contents(ctx, ctx.label.name, contents, contents_inputs),
        OutputGroupInfo(descriptor = depset([descriptor])),
    ]

deb_layer = rule(
    implementation = _deb_layer_impl,
    doc = """Repacks `.deb` files into one image layer.

Each package's `data.tar` goes through the layer writer (sorted, owners 0:0, mtime 0; the
package's own modes, setuid bits included, are kept), and a dpkg status record is added at
`var/lib/dpkg/status.d/<package>` so image scanners see what is installed. Paths that escape the
root and device nodes are rejected; absolute symlinks are kept (they resolve inside the image).
The bytes do not depend on the order of `debs`.

The `deb` module extension creates these targets for every lock: `@<lock>//:<package>` (one
package) and `@<lock>//:layer` (all of them merged).
""",
    attrs = {
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True, doc = "The packages."),
        "compression": attr.string(default = "gzip", values = ["gzip", "zstd", "none"], doc = "Blob compression; the output does not depend on the number of threads."),
        "_repack": attr.label(default = "//tools/debian:deb_repack", executable = True, cfg = "exec"),
    },
)
