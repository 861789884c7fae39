"""`image_publish` and `image_publish_set`: `bazel run` pushes images by digest, then applies tags."""

load("@bazel_skylib//lib:shell.bzl", "shell")
load(":providers.bzl", "ImagePublishInfo", "OciImageInfo")
load(":runfiles_entries.bzl", "runfiles_path")

_LAUNCHER = """\
#!/bin/sh
# {what} Extra arguments go to tools/registry/image_publish, e.g.
#   --tag T (repeatable; replaces the defaults)   --registry HOST[:PORT] (moves every repository)
#   --mount_from HOST/PATH (repeatable: where shared blobs may already be){extra}
set -eu
runfiles="${{RUNFILES_DIR:-$0.runfiles}}"
exec "$runfiles"/{tool} {args} "$@"
"""

def _launcher(ctx, what, args, extra_help = ""):
    tool = ctx.attr._publish[DefaultInfo].files_to_run.executable
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(launcher, is_executable = True, content = _LAUNCHER.format(
        what = what,
        extra = extra_help,
        tool = shell.quote(runfiles_path(tool)),
        args = " ".join(args),
    ))
    return launcher

def _image_publish_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    args = ["--layout", '"$runfiles"/%s' % shell.quote(runfiles_path(image.layout))]
    if ctx.attr.repository:
        args += ["--default_repository", shell.quote(ctx.attr.repository)]
    for tag in ctx.attr.remote_tags:
        args += ["--default_tag", shell.quote(tag)]
    for source in ctx.attr.mount_from:
        args += ["--mount_from", shell.quote(source)]
    launcher = _launcher(
        ctx,
        "Pushes %s by digest, then tags it." % ctx.attr.image.label,
        args,
        "\n#   --repository HOST/PATH (replaces the default)",
    )
    runfiles = ctx.runfiles(files = [image.layout, image.digest]).merge(ctx.attr._publish[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = launcher, runfiles = runfiles),
        ImagePublishInfo(
            layout = image.layout,
            repository = ctx.attr.repository,
            tags = ctx.attr.remote_tags,
            mount_from = ctx.attr.mount_from,
        ),
    ]

_PUBLISH = attr.label(default = "//tools/registry:image_publish", executable = True, cfg = "target")

image_publish = rule(
    implementation = _image_publish_impl,
    executable = True,
    doc = """Publishes an image: `bazel run :<name> [-- --repository HOST/PATH --tag T ...]`.

Like rules_oci's `oci_push`: the manifest is pushed by digest (blobs the registry already has are
skipped), then each tag is applied to the same bytes. Prints `HOST/PATH@sha256:...`.
Credentials come from `DOCKER_CONFIG`/`~/.docker/config.json` (auths and credential helpers).

A blob missing from `repository` but present in one of `mount_from` (say, the repository of a
sibling service built on the same base) is mounted from there by the registry instead of being
uploaded again. To publish several images in one run, where every shared blob is uploaded once
without naming anything, use `image_publish_set`.

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
        "mount_from": attr.string_list(doc = "Repositories (`HOST[:PORT]/PATH`, on the same registry) that may " +
                                             "already hold some of the image's blobs, tried in order; `-- --mount_from` adds more."),
        "_publish": _PUBLISH,
    },
)

def _image_publish_set_impl(ctx):
    images = []
    files = []
    for publish in ctx.attr.publishes:
        info = publish[ImagePublishInfo]
        if not info.repository:
            fail("%s has no repository: an image_publish_set needs every image's repository" % publish.label)
        images.append({
            "layout": runfiles_path(info.layout),
            "repository": info.repository,
            "tags": info.tags,
            "mount_from": info.mount_from,
        })
        files.append(info.layout)
    spec = ctx.actions.declare_file(ctx.label.name + ".publish.json")
    ctx.actions.write(spec, json.encode_indent({"images": images}, indent = "  ") + "\n")
    args = [
        "--set",
        '"$runfiles"/%s' % shell.quote(runfiles_path(spec)),
        "--set_base",
        '"$runfiles"',
    ]
    launcher = _launcher(ctx, "Pushes %d images (%s) by digest, then tags them." % (
        len(images),
        ", ".join([str(p.label) for p in ctx.attr.publishes]),
    ), args)
    runfiles = ctx.runfiles(files = [spec] + files).merge(ctx.attr._publish[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles)]

image_publish_set = rule(
    implementation = _image_publish_set_impl,
    executable = True,
    doc = """Publishes several images in one run: `bazel run :<name> [-- --registry HOST[:PORT] --tag T ...]`.

Each image goes to its `image_publish` target's repository with its tags, in the order given.
A blob that an earlier image of the run found or stored on the same registry is mounted into
the later images' repositories (`POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repo>`), so
a base shared by several services is uploaded once. `-- --registry HOST[:PORT]` moves every
repository to another registry (their paths stay); `-- --tag` replaces every image's tags.
Prints one `HOST/PATH@sha256:...` line per image.

```starlark
image_publish_set(
    name = "publish_all",
    publishes = [
        "//shuffler/services/taskassignment:task_assignment_image_publish",
        "//shuffler/services/taskmanagement:task_management_image_publish",
    ],
)
```
""",
    attrs = {
        "publishes": attr.label_list(
            mandatory = True,
            providers = [ImagePublishInfo],
            doc = "`image_publish` targets, published in this order.",
        ),
        "_publish": _PUBLISH,
    },
)
