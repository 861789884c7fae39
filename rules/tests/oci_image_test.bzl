"""Analysis tests of oci_image: the image spec it writes for the assembler, and bad input."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "LayerInfo", "OciImageInfo", "image_layer", "oci_image")
load(":analysis.bzl", "failure_test", "flag_value", "only_action", "written_json")

def _attributes_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    spec = written_json(env, "attributes.image.json")
    layer = ctx.attr.layer[LayerInfo]
    base = ctx.attr.base[OciImageInfo]
    asserts.equals(env, base.layout.path, spec["base"])
    asserts.equals(env, [{"blob": layer.blob.path, "descriptor": layer.descriptor.path}], spec["layers"])
    asserts.equals(env, ["/app/run", "--serve"], spec["entrypoint"])
    asserts.equals(env, ["--port", "8080"], spec["cmd"])
    asserts.equals(env, ["LANG=C.UTF-8", "MODE=prod"], spec["env"])
    asserts.equals(env, {"tee.launch_policy.log_redirect": "always"}, spec["labels"])
    asserts.equals(env, {"org.opencontainers.image.source": "https://example.com"}, spec["annotations"])
    asserts.equals(env, ["8080", "53/udp"], spec["exposed_ports"])
    asserts.equals(env, ("65532", "/app", "linux", "arm64", "v1"),
                   (spec["user"], spec["workdir"], spec["os"], spec["architecture"], spec["tag"]))

    info = target[OciImageInfo]
    asserts.equals(env, ("attributes", "attributes.digest", "v1"), (info.layout.basename, info.digest.basename, info.tag))
    assemble = only_action(env, "OciImage")
    for flag, path in (("--config_spec", "attributes.image.json"), ("--output", info.layout.path), ("--digest", info.digest.path)):
        value = flag_value(assemble.argv, flag)
        asserts.true(env, value != None and value.endswith(path), "%s %s in %s" % (flag, path, assemble.argv))
    inputs = [f.path for f in assemble.inputs.to_list()]
    for needed in (base.layout.path, layer.blob.path, layer.descriptor.path):
        asserts.true(env, needed in inputs, "%s is an input of the assembler" % needed)
    return analysistest.end(env)

_attributes_test = analysistest.make(
    _attributes_test_impl,
    attrs = {"base": attr.label(), "layer": attr.label()},
)

def _empty_attributes_test_impl(ctx):
    env = analysistest.begin(ctx)
    spec = written_json(env, "empty_attributes.image.json")

    # Unset attributes inherit the base's values: they are absent from the spec, not empty.
    for key in ("base", "entrypoint", "cmd", "user", "workdir"):
        asserts.false(env, key in spec, "%s is not in the spec" % key)
    asserts.equals(env, ("linux", "amd64", "latest"), (spec["os"], spec["architecture"], spec["tag"]))
    return analysistest.end(env)

_empty_attributes_test = analysistest.make(_empty_attributes_test_impl)

def _plain_tar_test_impl(ctx):
    env = analysistest.begin(ctx)

    # A tar that is not a layer target is normalized by the layer writer first.
    tar = analysistest.target_bin_dir_path(env) + "/rules/tests/empty_image.tar"
    normalize = written_json(env, "plain_tar.tar0.layer.json")
    asserts.equals(env, {"entries": [{"path": "", "type": "tar", "src": tar}]}, normalize)
    writer = only_action(env, "ImageLayer")
    blob = [f for f in writer.outputs.to_list() if f.basename == "plain_tar.tar0.tar.gz"]
    asserts.equals(env, 1, len(blob), "the normalized layer blob")
    spec = written_json(env, "plain_tar.image.json")
    asserts.equals(env, [blob[0].path], [layer["blob"] for layer in spec["layers"]])
    return analysistest.end(env)

_plain_tar_test = analysistest.make(_plain_tar_test_impl)

def oci_image_test_suite(name):
    """oci_image targets (manual: they are only analysed) and the tests that check them.

    Args:
      name: name of the test_suite of all of them.
    """
    image_layer(name = "image_files", srcs = ["testdata/motd"], prefix = "etc", tags = ["manual"])
    oci_image(name = "image_base", tars = [":image_files"], tags = ["manual"])
    oci_image(
        name = "attributes",
        base = ":image_base",
        tars = [":image_files"],
        entrypoint = ["/app/run", "--serve"],
        cmd = ["--port", "8080"],
        env = {"LANG": "C.UTF-8", "MODE": "prod"},
        labels = {"tee.launch_policy.log_redirect": "always"},
        annotations = {"org.opencontainers.image.source": "https://example.com"},
        exposed_ports = ["8080", "53/udp"],
        user = "65532",
        workdir = "/app",
        architecture = "arm64",
        tag = "v1",
        tags = ["manual"],
    )
    _attributes_test(name = name + "_attributes", target_under_test = ":attributes", base = ":image_base", layer = ":image_files")

    oci_image(name = "empty_attributes", tags = ["manual"])
    _empty_attributes_test(name = name + "_empty_attributes", target_under_test = ":empty_attributes")

    native.genrule(name = "empty_image_tar", outs = ["empty_image.tar"], cmd = "tar -cf $@ -T /dev/null", tags = ["manual"])
    oci_image(name = "plain_tar", tars = [":empty_image_tar"], tags = ["manual"])
    _plain_tar_test(name = name + "_plain_tar", target_under_test = ":plain_tar")

    native.filegroup(name = "two_layouts", srcs = ["testdata/motd", "testdata/app/config.yaml"], tags = ["manual"])
    tests = [name + "_attributes", name + "_empty_attributes", name + "_plain_tar"]
    for case, kwargs, message in (
        ("base_of_two_files", {"base": ":two_layouts"}, "must produce a single file"),
        ("tar_that_is_not_a_tar", {"tars": ["testdata/motd"]}, "is misplaced here (expected .tar"),
    ):
        oci_image(name = "bad_" + case, tags = ["manual"], **kwargs)
        failure_test(name = name + "_bad_" + case, target_under_test = ":bad_" + case, message = message)
        tests.append(name + "_bad_" + case)

    native.test_suite(name = name, tests = tests)
