"""`oci_image`: base + layers + configuration -> an OCI image layout and its `.digest`."""

load(":layer_action.bzl", "TAR_EXTENSIONS", "write_layer")
load(":providers.bzl", "LayerContentsInfo", "LayerInfo", "OciImageInfo")

def _layer_of_tar(ctx, tar, index):
    """A plain tar in `tars` goes through the layer writer too: no unnormalized byte enters an image."""
    return write_layer(
        ctx,
        "%s.tar%d" % (ctx.label.name, index),
        [{"path": "", "type": "tar", "src": tar.path}],
        [tar],
        ctx.executable._layer_writer,
        progress = "Normalizing %s for %%{label}" % tar.short_path,
    )

def _oci_image_impl(ctx):
    layers = []
    known = []  # every layer's descriptor and contents, for the evidence rules (SBOM, provenance)
    if ctx.attr.base and OciImageInfo in ctx.attr.base:
        known.extend(ctx.attr.base[OciImageInfo].layers)
    for target in ctx.attr.tars:
        if LayerInfo in target:
            layers.append(target[LayerInfo])
            contents = target[LayerContentsInfo] if LayerContentsInfo in target else None
            known.append(struct(descriptor = layers[-1].descriptor, contents = contents))
        else:
            for tar in target.files.to_list():
                layers.append(_layer_of_tar(ctx, tar, len(layers)))
                known.append(struct(descriptor = layers[-1].descriptor, contents = None))

    inputs = []
    spec = {
        "layers": [{"blob": layer.blob.path, "descriptor": layer.descriptor.path} for layer in layers],
        "env": ["%s=%s" % (k, v) for k, v in ctx.attr.env.items()],
        "labels": ctx.attr.labels,
        "annotations": ctx.attr.annotations,
        "exposed_ports": ctx.attr.exposed_ports,
        "os": ctx.attr.os,
        "architecture": ctx.attr.architecture,
        "tag": ctx.attr.tag,
    }
    for layer in layers:
        inputs += [layer.blob, layer.descriptor]
    if ctx.attr.base:
        base = ctx.attr.base[OciImageInfo].layout if OciImageInfo in ctx.attr.base else ctx.file.base
        spec["base"] = base.path
        inputs.append(base)
    if ctx.attr.entrypoint:
        spec["entrypoint"] = ctx.attr.entrypoint
    if ctx.attr.cmd:
        spec["cmd"] = ctx.attr.cmd
    if ctx.attr.user:
        spec["user"] = ctx.attr.user
    if ctx.attr.workdir:
        spec["workdir"] = ctx.attr.workdir

    spec_file = ctx.actions.declare_file(ctx.label.name + ".image.json")
    ctx.actions.write(spec_file, json.encode(spec))
    layout = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run(
        executable = ctx.executable._assembler,
        arguments = ["--config_spec", spec_file.path, "--output", layout.path, "--digest", ctx.outputs.digest.path],
        inputs = [spec_file] + inputs,
        outputs = [layout, ctx.outputs.digest],
        mnemonic = "OciImage",
        use_default_shell_env = True,
        progress_message = "Assembling image %{label}",
    )
    return [
        DefaultInfo(files = depset([layout]), runfiles = ctx.runfiles(files = [layout, ctx.outputs.digest])),
        OciImageInfo(layout = layout, digest = ctx.outputs.digest, tag = ctx.attr.tag, layers = known),
        OutputGroupInfo(digest = depset([ctx.outputs.digest])),
    ]

oci_image = rule(
    implementation = _oci_image_impl,
    doc = """An OCI image layout (a directory named like the target) and `<name>.digest`.

Attribute names follow rules_oci's `oci_image`. The config and manifest are canonical JSON with
`created` fixed to the epoch and history entries free of volatile data, so the digest depends
only on the layers and the attributes below. Base blobs are hard-linked, not copied.

```starlark
oci_image(
    name = "image",
    base = "//images:python_base",
    tars = [":interpreter_layer", ":app_layer"],
    entrypoint = ["/app/app"],
    env = {"LANG": "C.UTF-8"},
    labels = {"tee.launch_policy.log_redirect": "always"},
)
```
""",
    attrs = {
        "base": attr.label(allow_single_file = True, doc = "Base image: an oci_image target or any OCI image layout directory."),
        "tars": attr.label_list(
            allow_files = TAR_EXTENSIONS,
            doc = "Layers, in order: image_layer/deb_layer targets, or tar files (normalized by the layer writer first).",
        ),
        "entrypoint": attr.string_list(doc = "Entrypoint; empty inherits the base's."),
        "cmd": attr.string_list(doc = "Default arguments; empty inherits the base's (unless `entrypoint` is set, which clears them as rules_oci does)."),
        "env": attr.string_dict(doc = "Environment, merged over the base's by key. Runtime options belong in the environment at run time, not here."),
        "labels": attr.string_dict(doc = "Config labels, merged over the base's."),
        "annotations": attr.string_dict(doc = "Manifest annotations."),
        "user": attr.string(doc = "User (name or uid[:gid])."),
        "workdir": attr.string(doc = "Working directory."),
        "exposed_ports": attr.string_list(doc = "Ports like \"8080/tcp\" (\"8080\" means tcp)."),
        "os": attr.string(default = "linux", doc = "Image OS; must match the base's."),
        "architecture": attr.string(default = "amd64", doc = "Image architecture; must match the base's (an index base is narrowed to it)."),
        "tag": attr.string(default = "latest", doc = "The layout's `org.opencontainers.image.ref.name` (for `skopeo inspect oci:<dir>:<tag>`)."),
        "_assembler": attr.label(default = "//tools/image:image_assembler", executable = True, cfg = "exec"),
        "_layer_writer": attr.label(default = "//tools/layer:layer_writer", executable = True, cfg = "exec"),
    },
    outputs = {"digest": "%{name}.digest"},
)
