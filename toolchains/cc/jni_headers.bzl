"""`jni_headers`: the JNI headers of a JDK tree as a C/C++ dependency.

The headers stay where the JDK's package put them (`include/jni.h`, `include/linux/jni_md.h`);
their directories become system include paths of every dependent, so no action copies them and
none needs a tool. Bazel's own `@bazel_tools//tools/jdk:jni` copies them with `cp` from whatever
PATH an action has, and from the JDK of the machine.
"""

def _jni_headers_impl(ctx):
    headers = ctx.files.hdrs
    directories = sorted({h.dirname: None for h in headers}.keys())
    compilation_context = cc_common.create_compilation_context(
        headers = depset(headers),
        system_includes = depset(directories),
    )
    return [
        DefaultInfo(files = depset(headers)),
        CcInfo(compilation_context = compilation_context),
    ]

jni_headers = rule(
    implementation = _jni_headers_impl,
    doc = "JNI headers (jni.h and the platform's jni_md.h), their directories as system include paths.",
    attrs = {
        "hdrs": attr.label_list(allow_files = [".h"], mandatory = True, doc = "jni.h and jni_md.h of one JDK."),
    },
    provides = [CcInfo],
)
