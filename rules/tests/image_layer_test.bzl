"""Analysis tests of image_layer: the layer spec it writes for each attribute, and bad input.

They read the spec (`<name>.layer.json`, the layer writer's input) the rule declares, so they
check paths, entry types, sources and explicit modes; default modes of files are the layer
writer's business, not the rule's, and are not asserted here.
"""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "LayerInfo", "image_layer")
load(":analysis.bzl", "failure_test", "flag_value", "only_action", "written_json")

_TESTDATA = "rules/tests/testdata"

# Explicit modes of the "modes" layer: of files, of a directory it makes, and of paths no entry
# names, spelled with and without leading and trailing "/".
_MODES = {
    "srv/testdata/app/config.yaml": "0640",
    "/srv/testdata/app/bin/run.sh": "0750",
    "tmp": "1777",
    "/var/log/": "0700",
    "var/empty": "0711",
}

def _spec(env):
    """The spec JSON the target under test writes for the layer writer."""
    return written_json(env, analysistest.target_under_test(env).label.name + ".layer.json")

def _entries(env):
    """The entries without their modes: explicit ones are checked on their own (_modes_test), the
    rest are the layer writer's to decide."""
    return [{k: e[k] for k in ("path", "type", "src", "target") if k in e} for e in _spec(env)["entries"]]

def _paths(env):
    return [(e["path"], e["type"]) for e in _spec(env)["entries"]]

def _prefix_and_strip_prefix_test_impl(ctx):
    env = analysistest.begin(ctx)
    expected = [
        (ctx.attr.expected_dir + "/app/bin/run.sh", "file"),
        (ctx.attr.expected_dir + "/app/config.yaml", "file"),
    ]
    asserts.equals(env, sorted(expected), sorted(_paths(env)))
    for entry in _spec(env)["entries"]:
        asserts.true(env, entry["src"].startswith(_TESTDATA + "/app/"), "src %s is the source file" % entry["src"])
    return analysistest.end(env)

_prefix_and_strip_prefix_test = analysistest.make(
    _prefix_and_strip_prefix_test_impl,
    attrs = {"expected_dir": attr.string()},
)

def _files_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.equals(env, [{"path": "etc/motd", "type": "file", "src": _TESTDATA + "/motd"}], _entries(env))
    return analysistest.end(env)

_files_test = analysistest.make(_files_test_impl)

def _modes_test_impl(ctx):
    env = analysistest.begin(ctx)
    by_path = {e["path"]: e for e in _spec(env)["entries"]}
    asserts.equals(env, "0640", by_path["srv/testdata/app/config.yaml"]["mode"])
    asserts.equals(env, "0750", by_path["srv/testdata/app/bin/run.sh"]["mode"])

    # A mode for a path no entry names makes that directory; leading and trailing "/" go.
    asserts.equals(env, {"path": "tmp", "type": "dir", "mode": "1777"}, by_path["tmp"])
    asserts.equals(env, {"path": "var/log", "type": "dir", "mode": "0700"}, by_path["var/log"])
    asserts.equals(env, {"path": "var/empty", "type": "dir", "mode": "0711"}, by_path["var/empty"])
    return analysistest.end(env)

_modes_test = analysistest.make(_modes_test_impl)

def _symlinks_and_directories_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.equals(env, [
        {"path": "var/empty", "type": "dir"},
        {"path": "srv/cache", "type": "dir"},
        {"path": "usr/bin/run", "type": "symlink", "target": "/srv/app/bin/run.sh"},
        {"path": "etc/alternatives/x", "type": "symlink", "target": "../../x"},
    ], _entries(env))
    return analysistest.end(env)

_symlinks_and_directories_test = analysistest.make(_symlinks_and_directories_test_impl)

def _tars_and_writer_flags_test_impl(ctx):
    env = analysistest.begin(ctx)
    tar = analysistest.target_bin_dir_path(env) + "/rules/tests/empty.tar"
    asserts.equals(env, [{"path": "opt/pkg", "type": "tar", "src": tar}], _entries(env))
    target = analysistest.target_under_test(env)
    layer = target[LayerInfo]
    asserts.equals(env, "tars_and_writer_flags.tar.zst", layer.blob.basename)
    asserts.equals(env, "tars_and_writer_flags.descriptor.json", layer.descriptor.basename)
    asserts.equals(env, [layer.blob], target[DefaultInfo].files.to_list())
    asserts.equals(env, [layer.descriptor], target[OutputGroupInfo].descriptor.to_list())
    writer = only_action(env, "ImageLayer")
    asserts.equals(env, ["zstd", "42"], [flag_value(writer.argv, "--compression"), flag_value(writer.argv, "--mtime")])
    asserts.true(env, tar in [f.path for f in writer.inputs.to_list()], "the tar is an input of the writer")
    return analysistest.end(env)

_tars_and_writer_flags_test = analysistest.make(_tars_and_writer_flags_test_impl)

def _declared_modes_test_impl(ctx):
    env = analysistest.begin(ctx)
    by_path = {e["path"]: e for e in _spec(env)["entries"]}

    # A source file's mode is the layer writer's (by content), whatever bits the checkout has;
    # only a rule's declared executable carries one.
    asserts.false(env, "mode" in by_path["bin/testdata/app/config.yaml"], "a source file has no declared mode")
    asserts.false(env, "mode" in by_path["bin/testdata/app/bin/run.sh"], "not even an executable-looking one")
    asserts.equals(env, "0755", by_path["bin/generated_tool.sh"].get("mode"))
    return analysistest.end(env)

_declared_modes_test = analysistest.make(_declared_modes_test_impl)

def image_layer_test_suite(name):
    """image_layer targets (manual: they are only analysed) and the tests that check them.

    Args:
      name: name of the test_suite of all of them.
    """
    srcs = ["testdata/app/config.yaml", "testdata/app/bin/run.sh"]
    tests = []

    # strip_prefix "." removes the package, a path removes that path, none keeps the workspace path.
    for case, strip_prefix, expected_dir in (
        ("package", ".", "srv/testdata"),
        ("path", _TESTDATA, "srv"),
        ("none", "", "srv/" + _TESTDATA),
    ):
        image_layer(name = "strip_" + case, srcs = srcs, prefix = "/srv/", strip_prefix = strip_prefix, tags = ["manual"])
        _prefix_and_strip_prefix_test(name = name + "_strip_" + case, target_under_test = ":strip_" + case, expected_dir = expected_dir)
        tests.append(name + "_strip_" + case)

    image_layer(name = "files", files = {"testdata/motd": "motd"}, prefix = "etc", tags = ["manual"])
    _files_test(name = name + "_files", target_under_test = ":files")

    image_layer(name = "modes", srcs = srcs, prefix = "srv", strip_prefix = ".", directories = ["var/empty"], modes = _MODES, tags = ["manual"])
    _modes_test(name = name + "_modes", target_under_test = ":modes")

    image_layer(
        name = "symlinks_and_directories",
        directories = ["/var/empty/", "srv/cache"],
        symlinks = {"/usr/bin/run": "/srv/app/bin/run.sh", "etc/alternatives/x": "../../x"},
        tags = ["manual"],
    )
    _symlinks_and_directories_test(name = name + "_symlinks_and_directories", target_under_test = ":symlinks_and_directories")

    native.genrule(name = "empty_tar", outs = ["empty.tar"], cmd = "tar -cf $@ -T /dev/null", tags = ["manual"])
    image_layer(name = "tars_and_writer_flags", tars = [":empty_tar"], prefix = "opt/pkg", compression = "zstd", mtime = 42, tags = ["manual"])
    _tars_and_writer_flags_test(name = name + "_tars_and_writer_flags", target_under_test = ":tars_and_writer_flags")
    native.genrule(name = "generated_tool", outs = ["generated_tool.sh"], cmd = "printf '#!/bin/sh\\n' > $@", executable = True, tags = ["manual"])
    image_layer(name = "declared_modes", srcs = srcs + [":generated_tool"], prefix = "bin", strip_prefix = ".", tags = ["manual"])
    _declared_modes_test(name = name + "_declared_modes", target_under_test = ":declared_modes")
    tests += [name + "_files", name + "_modes", name + "_declared_modes", name + "_symlinks_and_directories", name + "_tars_and_writer_flags"]

    native.filegroup(name = "two_files", srcs = srcs, tags = ["manual"])
    for case, kwargs, message in (
        ("outside_strip_prefix", {"srcs": srcs, "strip_prefix": "rules/tests/testdata/app/bin"}, "rules/tests/testdata/app/config.yaml is not under strip_prefix"),
        ("mode_on_a_symlink", {"symlinks": {"usr/bin/x": "y"}, "modes": {"usr/bin/x": "0755"}}, "modes: usr/bin/x is a symlink; only files and directories take a mode"),
        ("two_files_at_one_path", {"files": {":two_files": "etc/x"}}, "two_files must be exactly one file (it has 2)"),
    ):
        image_layer(name = "bad_" + case, tags = ["manual"], **kwargs)
        failure_test(name = name + "_bad_" + case, target_under_test = ":bad_" + case, message = message)
        tests.append(name + "_bad_" + case)

    native.test_suite(name = name, tests = tests)
