"""The one place rules run the layer writer (tools/layer), whatever the layer is made from."""

load(":providers.bzl", "LayerInfo")

MEDIA_SUFFIX = {"gzip": ".tar.gz", "zstd": ".tar.zst", "none": ".tar"}

def write_layer(ctx, name, entries, inputs, layer_writer, compression = "gzip", mtime = 0, progress = None):
    """Declares `<name>.layer.json` (the spec) and runs the layer writer on it.

    Args:
      ctx: the rule context.
      name: base name of the outputs (`<name>.tar.gz`, `<name>.descriptor.json`).
      entries: spec entries (dicts, see tools/layer/README.md).
      inputs: Files the entries read.
      layer_writer: the layer writer executable (an exec-configured File).
      compression: "gzip", "zstd" or "none".
      mtime: modification time of every entry.
      progress: progress message.

    Returns:
      LayerInfo of the written layer.
    """
    spec = ctx.actions.declare_file(name + ".layer.json")
    ctx.actions.write(spec, json.encode({"entries": entries}))
    blob = ctx.actions.declare_file(name + MEDIA_SUFFIX[compression])
    descriptor = ctx.actions.declare_file(name + ".descriptor.json")
    args = ctx.actions.args()
    args.add("--spec", spec)
    args.add("--output", blob)
    args.add("--descriptor", descriptor)
    args.add("--compression", compression)
    if mtime:
        args.add("--mtime", str(mtime))
    ctx.actions.run(
        executable = layer_writer,
        arguments = [args],
        inputs = depset([spec] + inputs),
        outputs = [blob, descriptor],
        mnemonic = "ImageLayer",
        progress_message = progress or "Writing layer %{label}",
    )
    return LayerInfo(blob = blob, descriptor = descriptor)
