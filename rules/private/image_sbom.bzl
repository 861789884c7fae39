"""`image_sbom`: an image's SPDX 2.3 SBOM, from the locks and artifacts its layers were made of."""

load(":providers.bzl", "OciImageInfo")

ImageSbomInfo = provider(
    doc = "An image's SBOM and the locks its contents came from.",
    fields = {
        "sbom": "File: the SPDX 2.3 JSON document.",
        "locks": "File: JSON list of {label, sha256, kind} of the locks the contents came from.",
    },
)

def _image_sbom_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    sbom = ctx.actions.declare_file(ctx.label.name + ".spdx.json")
    locks = ctx.actions.declare_file(ctx.label.name + ".locks.json")
    args = ctx.actions.args()
    args.add("--layout", image.layout.path)
    args.add("--name", ctx.attr.image_name or ctx.attr.image.label.name)
    args.add("--output", sbom)
    args.add("--locks_output", locks)
    inputs = [image.layout]
    transitive = []
    for layer in image.layers:
        if layer.contents:
            args.add("--layer", "%s=%s" % (layer.descriptor.path, layer.contents.manifest.path))
            inputs.append(layer.descriptor)
            transitive.append(layer.contents.inputs)
    args.add_all(ctx.files.wheels, before_each = "--wheel")
    for lock in ctx.files.requirement_locks:
        args.add("--pip_lock", "%s=%s" % (_label_of(lock), lock.path))
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = depset(inputs + ctx.files.wheels + ctx.files.requirement_locks, transitive = transitive),
        outputs = [sbom, locks],
        mnemonic = "ImageSbom",
        # SOURCE_DATE_EPOCH (--action_env) sets the document's creation time; nothing else does.
        use_default_shell_env = True,
        progress_message = "Writing the SBOM of %{label}",
    )
    return [
        DefaultInfo(files = depset([sbom])),
        ImageSbomInfo(sbom = sbom, locks = locks),
        OutputGroupInfo(locks = depset([locks])),
    ]

def _label_of(file):
    if file.owner.workspace_name == "":
        return "//%s:%s" % (file.owner.package, file.owner.name)
    return str(file.owner)

image_sbom = rule(
    implementation = _image_sbom_impl,
    doc = """The SPDX 2.3 JSON SBOM of an image (`<name>.spdx.json`).

Every `oci_image` (and so every `py_image` and `java_service_image`) has one as
`<image>_sbom`; use this rule directly only for an image made otherwise. It lists every Debian
package (name, version, architecture, sha256, source package, snapshot URL,
`pkg:deb/debian/...`), every Maven artifact in a Spring Boot jar (`pkg:maven/...`), every Python
wheel (`pkg:pypi/...`), the native libraries (ELF files given to a layer), the applications, and
which layer holds each (relationships `layer CONTAINS package`). It is made from what the layer
rules know of their inputs (the lock entries of `.deb` files and jars, the deb tree of an
interpreter, the installed `.dist-info`), each checked against the lock's sha256. The bytes
are deterministic: sorted, stable SPDX ids, `created` = `SOURCE_DATE_EPOCH` if set
(`--action_env=SOURCE_DATE_EPOCH=...`), else the epoch. See tools/evidence/README.md.
""",
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "The oci_image."),
        "image_name": attr.string(doc = "The name of the SBOM's root package (default: the image target's name)."),
        "wheels": attr.label_list(
            allow_files = [".whl"],
            default = ["//toolchains/python:wheels"],
            doc = "The wheels an installed `.dist-info` may come from.",
        ),
        "requirement_locks": attr.label_list(
            allow_files = True,
            default = ["//toolchains/python:requirement_locks"],
            doc = "The requirement locks that pin those wheels.",
        ),
        "_tool": attr.label(default = "//tools/evidence:sbom", executable = True, cfg = "exec"),
    },
)
