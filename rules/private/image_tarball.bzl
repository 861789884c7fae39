"""`image_tarball`: an image as a tarball `docker load` / `podman load` take; `bazel run` loads it."""

load("@bazel_skylib//lib:shell.bzl", "shell")
load(":providers.bzl", "OciImageInfo")
load(":runfiles_entries.bzl", "runfiles_path")

def _image_tarball_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    tarball = ctx.outputs.tarball
    args = ctx.actions.args()
    args.add("--layout", image.layout.path)
    args.add("--tag", image.tag)
    args.add_all(ctx.attr.repo_tags, before_each = "--repo_tag")
    args.add("--output", tarball)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = [image.layout],
        outputs = [tarball],
        mnemonic = "ImageTarball",
        use_default_shell_env = True,
        progress_message = "Writing the loadable tarball of %{label}",
    )
    launcher = ctx.actions.declare_file(ctx.label.name + ".load.sh")
    ctx.actions.write(launcher, is_executable = True, content = """\
#!/bin/sh
# Loads {image} into the local docker or podman ({tags}).
set -eu
runfiles="${{RUNFILES_DIR:-$0.runfiles}}"
tarball="$runfiles"/{tarball}
for client in ${{REPROIMAGE_CONTAINER_CLIENT:-docker podman}}; do
  if command -v "$client" >/dev/null 2>&1; then
    exec "$client" load -i "$tarball"
  fi
done
echo "image_tarball: error: no docker or podman client on PATH; the tarball is $(readlink -f "$tarball"): load it with 'docker load -i FILE' or 'podman load -i FILE'" >&2
exit 1
""".format(image = ctx.attr.image.label, tags = ", ".join(ctx.attr.repo_tags), tarball = shell.quote(runfiles_path(tarball))))
    return [DefaultInfo(
        files = depset([tarball]),
        executable = launcher,
        runfiles = ctx.runfiles(files = [tarball]),
    )]

image_tarball = rule(
    implementation = _image_tarball_impl,
    executable = True,
    doc = """An image as a tarball for `docker load` / `podman load` (`<name>.tar`), like rules_oci's `oci_load`.

Every `oci_image` has one as `<image>_tarball`. The tar holds `manifest.json` (Config,
RepoTags, Layers: `docker save`'s format) and the image's OCI layout (`index.json`,
`oci-layout`, `blobs/sha256/`), the blobs byte for byte the layout's; its bytes are
deterministic. `bazel run` loads it with the first of `docker`, `podman` on PATH
(`REPROIMAGE_CONTAINER_CLIENT` picks another) and fails in one line when there is none.
`skopeo inspect docker-archive:<name>.tar` reads it.
""",
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "The oci_image."),
        "repo_tags": attr.string_list(mandatory = True, doc = "`NAME:TAG`s the loaded image gets, e.g. `collector:latest`."),
        "_tool": attr.label(default = "//tools/image:image_tarball", executable = True, cfg = "exec"),
    },
    outputs = {"tarball": "%{name}.tar"},
)
