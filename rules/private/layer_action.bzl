"""The one place rules run the layer writer (tools/layer), whatever the layer is made from."""

load(":providers.bzl", "LayerInfo")

MEDIA_SUFFIX = {"gzip": ".tar.gz", "zstd": ".tar.zst", "none": ".tar"}

# Tar files the layer writer reads (compression detected by magic bytes).
TAR_EXTENSIONS = [".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst", ".tar.bz2"]

def write_layer(ctx, name, entries, inputs, layer_writer, compression = "gzip", mtime = 0, mode_records = [], progress = None):
    """Declares `<name>.layer.json` (the spec) and runs the layer writer on it.

    Args:
      ctx: the rule context.
      name: base name of the outputs (`<name>.tar.gz`, `<name>.descriptor.json`).
      entries: spec entries (dicts, see tools/layer/README.md).
      inputs: Files the entries read.
      layer_writer: the layer writer executable (an exec-configured File).
      compression: "gzip", "zstd" or "none".
      mtime: modification time of every entry.
      mode_records: paths of mode records (in `inputs`) for files of trees unpacked from packages.
      progress: progress message.

    Returns:
      LayerInfo of the written layer.
    """
    spec = ctx.actions.declare_file(name + ".layer.json")
    spec_json = {"entries": entries}
    if mode_records:
        spec_json["mode_records"] = mode_records
    ctx.actions.write(spec, json.encode(spec_json))
    blob = ctx.actions.declare_file(name + MEDIA_SUFFIX[compression])
    descriptor = ctx.actions.declare_file(name + ".descriptor.json")
    args = ctx.actions.args()
    args.add("--spec", spec)
    args.add("--output", blob)
    args.add("--descriptor", descriptor)
    args.add("--compression", compression)

    # Always explicit, so no SOURCE_DATE_EPOCH of any environment can reach the bytes.
    args.add("--mtime", str(mtime))
    ctx.actions.run(
        executable = layer_writer,
        arguments = [args],
        inputs = depset([spec] + inputs),
        outputs = [blob, descriptor],
        mnemonic = "ImageLayer",
        # The strict default environment plus what --action_env sets (nothing, by default), as in
        # every action of these rules: scripts/check_reproducibility.sh sets the tools' time zone,
        # locale and clock this way and checks that no byte follows them.
        use_default_shell_env = True,
        progress_message = progress or "Writing layer %{label}",
    )
    return LayerInfo(blob = blob, descriptor = descriptor)
