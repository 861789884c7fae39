"""`jar_files`: files copied out of a jar, such as a prebuilt native library from Maven."""

def _jar_files_impl(ctx):
    if len(ctx.attr.entries) != len(ctx.outputs.outs):
        fail("jar_files %s: entries and outs pair up: %d entries, %d outs" % (
            ctx.label,
            len(ctx.attr.entries),
            len(ctx.outputs.outs),
        ))
    args = ctx.actions.args()
    args.add("--jar", ctx.file.jar)
    for entry, out in zip(ctx.attr.entries, ctx.outputs.outs):
        args.add("--entry", "%s=%s" % (entry, out.path))
    ctx.actions.run(
        executable = ctx.executable._extract,
        arguments = [args],
        inputs = [ctx.file.jar],
        outputs = ctx.outputs.outs,
        mnemonic = "JarExtract",
        use_default_shell_env = True,
        progress_message = "Copying %d file(s) out of %s" % (len(ctx.outputs.outs), ctx.file.jar.short_path),
    )
    return [DefaultInfo(files = depset(ctx.outputs.outs))]

jar_files = rule(
    implementation = _jar_files_impl,
    doc = """Copies entries out of a jar, byte for byte (checked against the jar's CRC-32).

The way to ship a prebuilt native library published inside a jar, such as TensorFlow's JNI
library on Maven Central: the jar comes from a Maven lock (pinned by sha256), the files are its
entries' bytes, and the layer writer gives them their modes (by content: a shared library is
0644). Each output has its own label, for `java_service_image(native_libs = ...)`.

```starlark
jar_files(
    name = "tensorflow_jni",
    jar = "@maven_tensorflow//:org_tensorflow_libtensorflow_jni",
    entries = [
        "org/tensorflow/native/linux-x86_64/libtensorflow_jni.so",
        "org/tensorflow/native/linux-x86_64/libtensorflow_framework.so.1",
    ],
    outs = ["libtensorflow_jni.so", "libtensorflow_framework.so.1"],
)
```
""",
    attrs = {
        "jar": attr.label(mandatory = True, allow_single_file = [".jar"], doc = "The jar (a file or a java_import with one jar)."),
        "entries": attr.string_list(mandatory = True, doc = "Entry paths inside the jar, in the order of `outs`."),
        "outs": attr.output_list(mandatory = True, doc = "The files to write, one per entry."),
        "_extract": attr.label(default = "//tools/bootjar:jar_extract", executable = True, cfg = "exec"),
    },
)
