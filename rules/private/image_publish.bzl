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

def _evidence_args(ctx):
    files = []
    args = []
    for flag, target in (("--sbom", ctx.file.sbom), ("--provenance", ctx.file.provenance)):
        if target:
            args += [flag, '"$runfiles"/%s' % shell.quote(runfiles_path(target))]
            files.append(target)
    return args, files

def _image_publish_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    args = ["--layout", '"$runfiles"/%s' % shell.quote(runfiles_path(image.layout))]
    evidence_args, evidence = _evidence_args(ctx)
    args += evidence_args
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
    runfiles = ctx.runfiles(files = [image.layout, image.digest] + evidence).merge(ctx.attr._publish[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = launcher, runfiles = runfiles),
        ImagePublishInfo(
            layout = image.layout,
            repository = ctx.attr.repository,
            tags = ctx.attr.remote_tags,
            mount_from = ctx.attr.mount_from,
            sbom = ctx.file.sbom,
            provenance = ctx.file.provenance,
        ),
    ]

_PUBLISH = attr.label(default = "//tools/registry:image_publish", executable = True, cfg = "target")

image_publish_rule = rule(
    implementation = _image_publish_impl,
    executable = True,
    doc = """The rule behind the `image_publish` macro (see there): `bazel run :<name>` pushes the image
by digest, then tags it, then attaches `sbom` and `provenance` as OCI 1.1 referrers. Use it
directly to attach other files than `<image>_sbom` and `<image>_provenance`, or none.
""",
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "An oci_image."),
        "repository": attr.string(doc = "Default `HOST[:PORT]/PATH`; `-- --repository` overrides it."),
        "remote_tags": attr.string_list(doc = "Default tags; any `-- --tag` replaces them all."),
        "mount_from": attr.string_list(doc = "Repositories (`HOST[:PORT]/PATH`, on the same registry) that may " +
                                             "already hold some of the image's blobs, tried in order; `-- --mount_from` adds more."),
        "sbom": attr.label(allow_single_file = True, doc = "The image's SBOM, attached to it as an OCI 1.1 referrer (`artifactType` `application/spdx+json`)."),
        "provenance": attr.label(allow_single_file = True, doc = "The image's provenance (DSSE envelope), attached to it as a referrer (`artifactType` `application/vnd.in-toto+json`)."),
        "_publish": _PUBLISH,
    },
)

def image_publish(name, image, attach_evidence = True, **kwargs):
    """Publishes an image: `bazel run :<name> [-- --repository HOST/PATH --tag T ...]`, with its evidence.

    Like rules_oci's `oci_push`: the manifest is pushed by digest (blobs the registry already has
    are skipped), then each tag is applied to the same bytes. Prints `HOST/PATH@sha256:...`.
    Credentials come from `DOCKER_CONFIG`/`~/.docker/config.json` (auths and credential helpers).

    With `attach_evidence` (the default) the image's SBOM (`<image>_sbom`) and provenance
    (`<image>_provenance`), which every `oci_image` has, are then pushed as OCI 1.1 artifacts
    whose `subject` is the image manifest: found again from the image's digest with the
    registry's referrers API (`GET /v2/<name>/referrers/<digest>`), or, on registries without
    one (CNCF distribution 2.x, Debian's docker-registry), in the index of the referrers tag
    `sha256-<hex>`, which the publisher updates. The artifact manifests are canonical JSON of the
    subject and the file: the same bytes on every build. `-- --sign_key KEY.pem` signs the
    provenance (ed25519 or ECDSA P-256) before attaching it; `-- --noattach_evidence` pushes the
    image only. `//tools/verify -- registry` reads them back.

    A blob missing from `repository` but present in one of `mount_from` (say, the repository of
    a sibling service built on the same base) is mounted from there by the registry instead of
    being uploaded again. To publish several images in one run, where every shared blob is
    uploaded once without naming anything, use `image_publish_set`.

    ```starlark
    image_publish(
        name = "task_builder_image_publish",
        image = ":task_builder_image",
        repository = "europe-docker.pkg.dev/project/fcp/task_builder",
        remote_tags = ["latest"],
    )
    ```

    Args:
      name: target name.
      image: an `oci_image` (or any target with OciImageInfo).
      attach_evidence: attach `<image>_sbom` and `<image>_provenance`; set False for an image made
        without them (or pass `sbom`/`provenance` to name other files).
      **kwargs: `repository`, `remote_tags`, `mount_from`, `sbom`, `provenance` (see
        `image_publish_rule`) and common attributes.
    """
    if attach_evidence:
        kwargs.setdefault("sbom", image + "_sbom")
        kwargs.setdefault("provenance", image + "_provenance")
    image_publish_rule(name = name, image = image, **kwargs)

def _image_publish_set_impl(ctx):
    images = []
    files = []
    for publish in ctx.attr.publishes:
        info = publish[ImagePublishInfo]
        if not info.repository:
            fail("%s has no repository: an image_publish_set needs every image's repository" % publish.label)
        entry = {
            "layout": runfiles_path(info.layout),
            "repository": info.repository,
            "tags": info.tags,
            "mount_from": info.mount_from,
        }
        for key, file in (("sbom", info.sbom), ("provenance", info.provenance)):
            if file:
                entry[key] = runfiles_path(file)
                files.append(file)
        images.append(entry)
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
a base shared by several services is uploaded once. Each image's evidence (see `image_publish`)
is attached after its push; `-- --sign_key KEY.pem` signs every provenance. `-- --registry HOST[:PORT]` moves every
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
