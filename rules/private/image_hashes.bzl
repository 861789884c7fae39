"""`image_hashes`: the release manifest, a JSON object mapping image names to digests."""

load(":providers.bzl", "OciImageInfo")

def _image_hashes_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    args = ctx.actions.args()
    args.add("--output", out)
    inputs = []
    for target, name in ctx.attr.images.items():
        digest = target[OciImageInfo].digest
        args.add("--image", "%s=%s" % (name, digest.path))
        inputs.append(digest)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = inputs,
        outputs = [out],
        mnemonic = "ImageHashes",
        use_default_shell_env = True,
        progress_message = "Writing release manifest %{label}",
    )
    return [DefaultInfo(files = depset([out]))]

image_hashes_rule = rule(
    implementation = _image_hashes_impl,
    attrs = {
        "images": attr.label_keyed_string_dict(providers = [OciImageInfo], doc = "{image target: name}"),
        "_tool": attr.label(default = "//tools/image:image_hashes", executable = True, cfg = "exec"),
    },
)
