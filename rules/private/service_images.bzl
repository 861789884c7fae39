"""The `service_images` module extension: every service under shuffler/services/, found by name.

A service joins the release manifest by existing: a directory `shuffler/services/<dir>/` whose
BUILD file defines `<service>_image` (found by its `name = "<service>_image",` line, as buildifier
formats it; a service directory without one is an error, never silently left out). The extension lists those directories (Bazel re-runs it when
one appears or a BUILD file changes) and writes `@service_images//:defs.bzl` with
`SERVICE_IMAGES = {"<service>": Label(...)}` for `//:image_hashes`.
"""

def _image_names(build_text):
    names = []
    for line in build_text.splitlines():
        line = line.strip()
        if not line.startswith("name = \"") or not line.endswith("_image\","):
            continue
        name = line[len("name = \""):-len("\",")]
        if name.replace("_", "").isalnum():
            names.append(name)
    return names

def _repo_impl(rctx):
    rctx.file("BUILD.bazel", 'exports_files(["defs.bzl"])\n')
    lines = ['"""Service images found under shuffler/services/ (generated)."""', "", "SERVICE_IMAGES = {"]
    for service, label in sorted(rctx.attr.images.items()):
        lines.append('    "%s": Label("%s"),' % (service, label))
    lines.append("}")
    rctx.file("defs.bzl", "\n".join(lines) + "\n")

_service_images_repo = repository_rule(
    implementation = _repo_impl,
    attrs = {"images": attr.string_dict()},
)

def _service_images_impl(module_ctx):
    services = module_ctx.path(Label("//shuffler/services:BUILD.bazel")).dirname
    images = {}
    for directory in sorted(services.readdir(watch = "yes"), key = str):
        build = directory.get_child("BUILD.bazel")
        if not build.exists:
            continue
        names = _image_names(module_ctx.read(build, watch = "yes"))
        if not names:
            # A service that defines no image would silently drop out of the release manifest.
            fail(("shuffler/services/%s/BUILD.bazel defines no `<service>_image` target (a line " +
                  "`name = \"<service>_image\",` as buildifier formats it); every service directory " +
                  "must, so that //:image_hashes covers it") % directory.basename)
        for name in names:
            service = name[:-len("_image")]
            if service in images:
                fail("service %s is defined twice (%s and %s)" % (service, images[service], directory.basename))
            images[service] = "@@//shuffler/services/%s:%s" % (directory.basename, name)
    _service_images_repo(name = "service_images", images = images)

service_images = module_extension(
    implementation = _service_images_impl,
    doc = "Finds every `<service>_image` target under shuffler/services/ for the release manifest.",
)
