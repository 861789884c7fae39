"""`image_provenance`: an image's SLSA provenance v1 (in-toto, DSSE); `bazel run` signs it."""

load("@bazel_skylib//lib:shell.bzl", "shell")
load(":image_sbom.bzl", "ImageSbomInfo")
load(":layer_contents.bzl", "label_text")
load(":providers.bzl", "OciImageInfo")
load(":runfiles_entries.bzl", "runfiles_path")

def _image_provenance_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    sbom = ctx.attr.sbom[ImageSbomInfo]
    envelope = ctx.outputs.envelope
    args = ctx.actions.args()
    args.add("--name", ctx.attr.image_name or ctx.attr.image.label.name)
    args.add("--digest", image.digest)
    args.add("--target", label_text(ctx.attr.image.label))
    args.add("--sbom", sbom.sbom)
    args.add("--locks", sbom.locks)
    args.add("--environment_lock", "%s=%s" % (label_text(ctx.file.environment_lock.owner), ctx.file.environment_lock.path))
    for lock in ctx.files.toolchain_locks:
        args.add("--toolchain_lock", "%s=%s" % (label_text(lock.owner), lock.path))
    inputs = [image.digest, sbom.sbom, sbom.locks, ctx.file.environment_lock] + ctx.files.toolchain_locks
    stamped = ctx.attr.stamp == 1 or (ctx.attr.stamp == -1 and ctx.attr.stamp_flag)
    if stamped:
        # The stable status only: a volatile key (a time) would make the bytes differ on every build.
        args.add("--stable_status", ctx.info_file)
        inputs.append(ctx.info_file)
    args.add("--output", envelope)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = inputs,
        outputs = [envelope],
        mnemonic = "ImageProvenance",
        use_default_shell_env = True,
        progress_message = "Writing the provenance of %{label}",
    )
    sign = ctx.attr._sign[DefaultInfo].files_to_run.executable
    launcher = ctx.actions.declare_file(ctx.label.name + ".sign.sh")
    ctx.actions.write(launcher, is_executable = True, content = """\
#!/bin/sh
# Signs the provenance of {image}: bazel run {label} -- --key KEY.pem --output SIGNED.json
set -eu
runfiles="${{RUNFILES_DIR:-$0.runfiles}}"
exec "$runfiles"/{sign} --envelope "$runfiles"/{envelope} "$@"
""".format(image = ctx.attr.image.label, label = ctx.label, sign = shell.quote(runfiles_path(sign)), envelope = shell.quote(runfiles_path(envelope))))
    runfiles = ctx.runfiles(files = [envelope]).merge(ctx.attr._sign[DefaultInfo].default_runfiles)
    return [DefaultInfo(files = depset([envelope]), executable = launcher, runfiles = runfiles)]

image_provenance_rule = rule(
    implementation = _image_provenance_impl,
    executable = True,
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo]),
        "image_name": attr.string(),
        "sbom": attr.label(mandatory = True, providers = [ImageSbomInfo]),
        "stamp": attr.int(default = -1, values = [-1, 0, 1]),
        "stamp_flag": attr.bool(),
        "environment_lock": attr.label(allow_single_file = True, default = "//scripts:buildenv/environment.lock"),
        "toolchain_locks": attr.label_list(allow_files = True, default = ["//toolchains/debian:toolchain_locks"]),
        "_tool": attr.label(default = "//tools/evidence:provenance", executable = True, cfg = "exec"),
        "_sign": attr.label(default = "//tools/evidence:sign", executable = True, cfg = "target"),
    },
    outputs = {"envelope": "%{name}.intoto.json"},
)

def image_provenance(name, image, sbom, stamp = -1, **kwargs):
    """An image's provenance: `<name>.intoto.json`, an unsigned DSSE envelope (SLSA provenance v1).

    The envelope holds an in-toto statement with a SLSA provenance v1 predicate. Every `oci_image` has one as `<image>_provenance`. Subject: the image's manifest digest.
    Resolved dependencies: the source revision (stamped builds only), the build environment's
    lock (`scripts/buildenv/environment.lock`), every lock the image's contents came from (from
    its SBOM) and the toolchains' locks, each by sha256; the build command; the SBOM as a
    byproduct. No time, host or user: the bytes depend only on those.

    The source revision cannot come from an action (actions see no `.git`); it comes from
    Bazel's workspace status: `bazel build --config=release <image>_provenance` runs
    `scripts/workspace_status.sh`, whose *stable* keys (`STABLE_SOURCE_REVISION`, ...) are read
    only by this rule: the image and its SBOM never see them, so their bytes do not change
    with the commit, while the provenance is rebuilt for each one.

    `bazel run <image>_provenance -- --key KEY.pem --output SIGNED.json` signs the envelope with
    an ed25519 or ECDSA P-256 key from a file (`--key_password_file` for an encrypted one); the
    key never enters the build. `//tools/verify` checks a signed envelope.

    Args:
      name: target name.
      image: the oci_image.
      sbom: its image_sbom.
      stamp: 1 always reads the workspace status, 0 never, -1 when `--stamp` is set.
      **kwargs: image_name (the subject's name), environment_lock, toolchain_locks, common attributes.
    """
    image_provenance_rule(
        name = name,
        image = image,
        sbom = sbom,
        stamp = stamp,
        stamp_flag = select({
            Label("//rules/private:stamped"): True,
            "//conditions:default": False,
        }),
        **kwargs
    )
