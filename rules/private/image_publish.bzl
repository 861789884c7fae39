"""`image_publish`: `bazel run` pushes an image by digest, then applies its tags."""

load("@bazel_skylib//lib:shell.bzl", "shell")
load(":providers.bzl", "OciImageInfo")
load(":runfiles_entries.bzl", "runfiles_path")

def _image_publish_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    tool = ctx.attr._publish[DefaultInfo].files_to_run.executable
    args = ["--layout", '"$runfiles"/%s' % shell.quote(runfiles_path(image.layout))]
    if ctx.attr.repository:
        args += ["--default_repository", shell.quote(ctx.attr.repository)]
    for tag in ctx.attr.remote_tags:
        args += ["--default_tag", shell.quote(tag)]
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(launcher, is_executable = True, content = """\
#!/bin/sh
# Pushes {image} by digest, then tags it. Extra arguments go to tools/registry/image_publish:
#   --repository HOST/PATH (replaces the default)   --tag T (repeatable; replaces the defaults)
set -eu
runfiles="${{RUNFILES_DIR:-$0.runfiles}}"
exec "$runfiles"/{tool} {args} "$@"
""".format(image = ctx.attr.image.label, tool = shell.quote(runfiles_path(tool)), args = " ".join(args)))
    runfiles = ctx.runfiles(files = [image.layout, image.digest]).merge(ctx.attr._publish[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles)]

image_publish = rule(
    implementation = _image_publish_impl,
    executable = True,
    doc = """Publishes an image: `bazel run :<name> [-- --repository HOST/PATH --tag T ...]`.

Like rules_oci's `oci_push`: the manifest is pushed by digest (blobs the registry already has are
skipped), then each tag is applied to the same bytes. Prints `HOST/PATH@sha256:...`.
Credentials come from `DOCKER_CONFIG`/`~/.docker/config.json` (auths and credential helpers).

```starlark
image_publish(
    name = "task_builder_image_publish",
    image = ":task_builder_image",
    repository = "europe-docker.pkg.dev/project/fcp/task_builder",
    remote_tags = ["latest"],
)
```
""",
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "An oci_image."),
        "repository": attr.string(doc = "Default `HOST[:PORT]/PATH`; `-- --repository` overrides it."),
        "remote_tags": attr.string_list(doc = "Default tags; any `-- --tag` replaces them all."),
        "_publish": attr.label(default = "//tools/registry:image_publish", executable = True, cfg = "target"),
    },
)
