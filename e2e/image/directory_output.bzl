"""A rule whose output is a directory (a tree artifact), to test image_layer with one."""

def _directory_output_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run_shell(
        outputs = [out],
        command = 'mkdir -p "$1/sub" && printf "one\\n" > "$1/one.txt" && printf "two\\n" > "$1/sub/two.txt" && ' +
                  'printf "#!/bin/sh\\necho run\\n" > "$1/run.sh"',
        arguments = [out.path],
    )
    return [DefaultInfo(files = depset([out]))]

directory_output = rule(
    implementation = _directory_output_impl,
    doc = "A directory holding one.txt, sub/two.txt and a script run.sh.",
)
