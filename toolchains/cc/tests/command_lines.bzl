"""`cc_command_lines`: the command lines the resolved C++ toolchain gives a compile and a link.

Written as JSON for the toolchain tests, which check the flags and run them with the tools.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain", "use_cpp_toolchain")
load("@rules_cc//cc:action_names.bzl", "ACTION_NAMES")

def _cc_command_lines_impl(ctx):
    toolchain = find_cpp_toolchain(ctx)
    features = cc_common.configure_features(ctx = ctx, cc_toolchain = toolchain)
    compile_variables = cc_common.create_compile_variables(
        feature_configuration = features,
        cc_toolchain = toolchain,
        user_compile_flags = ["-DUSER_COPT"],
        source_file = "SOURCE",
        output_file = "OUTPUT",
    )
    link_variables = cc_common.create_link_variables(
        feature_configuration = features,
        cc_toolchain = toolchain,
        is_linking_dynamic_library = True,
        output_file = "OUTPUT",
        user_link_flags = ["-Wl,--user-linkopt"],
    )
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.write(out, json.encode_indent({
        action: {
            "tool": cc_common.get_tool_for_action(feature_configuration = features, action_name = action),
            "arguments": cc_common.get_memory_inefficient_command_line(
                feature_configuration = features,
                action_name = action,
                variables = variables,
            ),
        }
        for action, variables in [
            (ACTION_NAMES.c_compile, compile_variables),
            (ACTION_NAMES.cpp_compile, compile_variables),
            (ACTION_NAMES.cpp_link_dynamic_library, link_variables),
            (ACTION_NAMES.cpp_link_executable, link_variables),
        ]
    }))
    return [DefaultInfo(files = depset([out]))]

cc_command_lines = rule(
    implementation = _cc_command_lines_impl,
    doc = "JSON {action: {tool, arguments}} for c-compile, c++-compile and two links.",
    toolchains = use_cpp_toolchain(),
    fragments = ["cpp"],
)
