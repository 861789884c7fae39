"""Test-only: what a spring_boot_jar holds and a Java runtime to run it, for a py test."""

load("//rules:defs.bzl", "SpringBootJarInfo")

_JAVA_RUNTIME = "@bazel_tools//tools/jdk:runtime_toolchain_type"

def _runfiles_path(file):
    # With --nolegacy_external_runfiles, other repositories sit beside _main in the runfiles.
    return file.short_path[3:] if file.short_path.startswith("../") else "_main/" + file.short_path

def _boot_jar_contents_impl(ctx):
    info = ctx.attr.jar[SpringBootJarInfo]
    runtime = ctx.toolchains[_JAVA_RUNTIME].java_runtime
    libs = info.lib_jars.to_list()
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.write(out, json.encode({
        "jar": _runfiles_path(info.jar),
        "java": runtime.java_executable_runfiles_path,
        # A list, not a dict: json.encode sorts a dict's keys, and the order is the classpath's.
        "libs": [[name, _runfiles_path(jar)] for name, jar in zip(info.lib_names, libs)],
        "start_class": info.start_class,
    }))
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out, info.jar] + libs, transitive_files = runtime.files),
    )]

boot_jar_contents = rule(
    implementation = _boot_jar_contents_impl,
    attrs = {"jar": attr.label(mandatory = True, providers = [SpringBootJarInfo])},
    toolchains = [_JAVA_RUNTIME],
)
