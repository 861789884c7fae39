"""`image_layer`: files, a binary's runfiles, symlinks and tars -> one normalized layer."""

load(":layer_action.bzl", "TAR_EXTENSIONS", "write_layer")
load(":layer_contents.bzl", "boot_jar_item", "file_item", "label_text", "write_contents")
load(":locked_file.bzl", "locked_inputs_aspect")
load(":providers.bzl", "SpringBootJarInfo")
load(":runfiles_entries.bzl", "PARTS", "runfiles_entries", "runfiles_path")

_PY_TOOLCHAIN = "@bazel_tools//tools/python:toolchain_type"

def _join(*parts):
    return "/".join([p.strip("/") for p in parts if p.strip("/")])

def _src_path(ctx, file):
    path = file.short_path[3:].partition("/")[2] if file.short_path.startswith("../") else file.short_path
    strip = ctx.attr.strip_prefix
    if strip == ".":
        strip = ctx.label.package
    if strip:
        if not path.startswith(strip.strip("/") + "/"):
            fail("image_layer %s: %s is not under strip_prefix %r" % (ctx.label, path, ctx.attr.strip_prefix))
        path = path[len(strip.strip("/")) + 1:]
    return _join(ctx.attr.prefix, path)

def _file_entry(path, file, target):
    """The spec entry of one file or directory given to the rule.

    Only a target's executable has a mode here, declared by its rule; any other file's mode
    comes from its content (tools/layer/modes.py), never from the permission bits that the
    executing machine reports (a remote worker marks every input executable).
    """
    if file.is_directory:
        # A directory output reaches the action as directories of absolute symlinks into the
        # output base (Bazel's sandbox); store what they point to.
        return {"path": path, "type": "tree", "src": file.path, "follow_symlinks": not file.is_source}
    entry = {"path": path, "type": "file", "src": file.path}

    # A source file's target names the file itself as its executable: only a rule's output is
    # declared executable by its rule.
    if not file.is_source and file == target[DefaultInfo].files_to_run.executable:
        entry["mode"] = "0755"
    return entry

def _python_interpreter(ctx):
    toolchain = ctx.toolchains[_PY_TOOLCHAIN]
    if not toolchain or not getattr(toolchain, "py3_runtime", None):
        return None
    return toolchain.py3_runtime.interpreter

def _image_launcher(ctx, launcher, binary_path):
    """The launcher with its `#!` line pointing at the interpreter inside the image.

    Bazel's Python launcher starts with `#!/usr/bin/env python3`, which needs a python3 on PATH;
    in the image the hermetic interpreter sits at a known path in the runfiles tree.
    """
    interpreter = _python_interpreter(ctx)
    if not interpreter:
        fail("image_layer %s: python_launcher needs a Python toolchain with an in-build interpreter" % ctx.label)
    shebang = "#!/%s.runfiles/%s" % (binary_path.strip("/"), runfiles_path(interpreter))
    rewritten = ctx.actions.declare_file(ctx.label.name + ".launcher")
    ctx.actions.run_shell(
        command = """
            case $(head -n 1 "$2") in
              '#!'*python*) ;;
              *) echo "$2 does not start with a Python #! line: python_launcher expects Bazel's Python launcher" >&2; exit 1 ;;
            esac
            printf '%s\\n' "$1" > "$3" && tail -n +2 "$2" >> "$3"
        """,
        arguments = [shebang, launcher.path, rewritten.path],
        inputs = [launcher],
        outputs = [rewritten],
        mnemonic = "ImageLauncher",
        use_default_shell_env = True,
        progress_message = "Pointing the launcher of %{label} at the image's interpreter",
    )
    return rewritten

def _runfiles_repo_mapping(ctx, repo_mapping, repositories):
    """Bazel's `_repo_mapping` with only the lines between repositories that the tree holds.

    A line `<from>,<apparent name>,<to>` serves lookups from files of `<from>` (empty: the main
    repository, `_main` in the tree) into `<to>`; with either absent from the tree it is dead
    weight that changes whenever the build graph does (a new toolchain, say).
    """
    out = ctx.actions.declare_file(ctx.label.name + ".repo_mapping")
    ctx.actions.run_shell(
        command = """
            out=$1 in=$2; shift 2; keep=" $* "
            : > "$out"
            while IFS=, read -r from apparent to; do
              case "$keep" in *" ${from:-_main} "*) ;; *) continue ;; esac
              case "$keep" in *" $to "*) printf '%s,%s,%s\\n' "$from" "$apparent" "$to" >> "$out" ;; esac
            done < "$in"
        """,
        arguments = [out.path, repo_mapping.path] + repositories,
        inputs = [repo_mapping],
        outputs = [out],
        mnemonic = "ImageRepoMapping",
        use_default_shell_env = True,
        progress_message = "Keeping the repository mapping of %{label} to its runfiles",
    )
    return out

def _content_of(path, file, target):
    """The contents-manifest item of a file given to the layer (tools/evidence reads it)."""
    if file.is_directory:
        return {"kind": "tree", "path": path, "label": label_text(target.label)}, []
    if SpringBootJarInfo in target and target[SpringBootJarInfo].jar == file:
        return boot_jar_item(path, target)
    return file_item(path, file, target)

def _is_dist_info_metadata(rlocation):
    parts = rlocation.split("/")
    return len(parts) >= 3 and parts[-1] == "METADATA" and parts[-2].endswith(".dist-info") and parts[-3] == "site-packages"

def _image_layer_impl(ctx):
    entries = []
    inputs = []
    mode_records = []

    # What the layer holds, for the image's SBOM: never an input of the layer writer.
    contents = []
    contents_inputs = []

    def content(item_and_inputs):
        contents.append(item_and_inputs[0])
        contents_inputs.extend(item_and_inputs[1])

    for target in ctx.attr.srcs:
        for file in target.files.to_list():
            entries.append(_file_entry(_src_path(ctx, file), file, target))
            inputs.append(file)
            content(_content_of(entries[-1]["path"], file, target))
    for target, dest in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("image_layer %s: files: %s must be exactly one file (it has %d)" % (ctx.label, target.label, len(files)))
        entries.append(_file_entry(_join(ctx.attr.prefix, dest), files[0], target))
        inputs.append(files[0])
        content(_content_of(entries[-1]["path"], files[0], target))
    for dest in ctx.attr.directories:
        entries.append({"path": _join(dest), "type": "dir"})
    for dest, target in ctx.attr.symlinks.items():
        entries.append({"path": _join(dest), "type": "symlink", "target": target})
    for target in ctx.attr.tars:
        for file in target.files.to_list():
            entries.append({"path": ctx.attr.prefix.strip("/"), "type": "tar", "src": file.path})
            inputs.append(file)
            content(({"kind": "tar", "path": ctx.attr.prefix.strip("/"), "file": file.path, "label": label_text(target.label)}, []))

    if ctx.attr.binary:
        binary_path = ctx.attr.binary_path or _join(ctx.attr.binary.label.name, ctx.attr.binary.label.name)
        empty = ctx.actions.declare_file(ctx.label.name + ".empty")
        ctx.actions.write(empty, "")
        interpreter = _python_interpreter(ctx)
        interpreter_repo = interpreter.owner.workspace_name if interpreter else None
        runfiles, manifest_text, repositories = runfiles_entries(ctx.attr.binary, binary_path, interpreter_repo, empty)
        part = ctx.attr.runfiles_part
        for item in runfiles:
            if item.part == "repo_mapping":
                if part in ("all", "application"):
                    mapping = _runfiles_repo_mapping(ctx, item.input, repositories)
                    item.entry["src"] = mapping.path
                    entries.append(item.entry)
                    inputs.append(mapping)
                continue
            if item.part == "launcher":
                if part not in ("all", "application"):
                    continue
                content(({"kind": "binary", "path": binary_path, "label": label_text(ctx.attr.binary.label)}, []))
                if ctx.attr.python_launcher:
                    launcher = _image_launcher(ctx, item.input, binary_path)
                    item.entry["src"] = launcher.path
                    inputs.append(launcher)
                    entries.append(item.entry)
                    continue
            elif part != "all" and item.part != part:
                continue
            if item.record == "packages":
                tree = "%s.runfiles/%s" % (binary_path, item.rlocation.partition("/")[0])
                content(({"kind": "deb_tree", "path": tree, "record": item.input.path}, [item.input]))
                continue
            if item.record == "modes":
                mode_records.append(item.input.path)
            else:
                entries.append(item.entry)
                if _is_dist_info_metadata(item.rlocation):
                    content(({"kind": "dist_info", "path": item.entry["path"].rpartition("/")[0], "metadata": item.input.path}, [item.input]))
            inputs.append(item.input)
        if part in ("all", "application"):
            manifest = ctx.actions.declare_file(ctx.label.name + ".runfiles_manifest")
            ctx.actions.write(manifest, manifest_text)
            entries.append({"path": binary_path + ".runfiles_manifest", "type": "file", "src": manifest.path, "mode": "0644"})
            entries.append({"path": binary_path + ".runfiles/MANIFEST", "type": "file", "src": manifest.path, "mode": "0644"})
            inputs.append(manifest)

    modes = {_join(path): mode for path, mode in ctx.attr.modes.items()}
    for entry in entries:
        mode = modes.pop(entry["path"], None)
        if mode != None:
            if entry["type"] not in ("file", "dir"):
                fail("image_layer %s: modes: %s is a %s; only files and directories take a mode" % (ctx.label, entry["path"], entry["type"]))
            entry["mode"] = mode
    for path, mode in modes.items():
        # A mode for a path no entry names: the directory is meant (e.g. a writable /tmp).
        entries.append({"path": path, "type": "dir", "mode": mode})

    layer = write_layer(
        ctx,
        ctx.label.name,
        entries,
        inputs,
        ctx.executable._layer_writer,
        compression = ctx.attr.compression,
        mtime = ctx.attr.mtime,
        mode_records = mode_records,
    )
    return [
        DefaultInfo(files = depset([layer.blob])),
        layer,
        write_contents(ctx, ctx.label.name, contents, contents_inputs),
        OutputGroupInfo(descriptor = depset([layer.descriptor])),
    ]

image_layer = rule(
    implementation = _image_layer_impl,
    doc = """One reproducible image layer.

Every entry is normalized by the layer writer (`tools/layer`): sorted paths, parent directories
added, mtime 0, owner 0:0 with empty names. Modes never follow the permission bits of the
machine that runs the build (a remote worker marks every input executable): a file's mode is
the one `modes` gives it, else 0755 for a target's executable (a binary's launcher), else the
mode its Debian package records (files of a `deb.tree` repository, such as the interpreter in a
binary's runfiles), else by content: 0755 for ELF programs and `#!` scripts, 0644 for the rest.
Directories are 0755 unless `modes` says otherwise. The default output is the layer blob; the
`descriptor` output group holds `{mediaType, digest, size, diffID}`.

```starlark
image_layer(
    name = "app_layer",
    srcs = ["config.yaml"],
    prefix = "etc/app",
    symlinks = {"usr/bin/app": "/app/app"},
    binary = ":app",
    runfiles_part = "application",
)
```
""",
    attrs = {
        "srcs": attr.label_list(
            allow_files = True,
            aspects = [locked_inputs_aspect],
            doc = "Files (and directories) placed at `prefix` + their workspace path, less `strip_prefix`. A directory output (tree artifact) is stored with its files; a source directory is read whole, but Bazel does not notice edits inside it: list source files (a glob or filegroup) instead.",
        ),
        "files": attr.label_keyed_string_dict(
            allow_files = True,
            aspects = [locked_inputs_aspect],
            doc = "Single files placed at explicit paths: {label: path below `prefix`}.",
        ),
        "prefix": attr.string(doc = "Directory in the image under which `srcs`, `files` and `tars` go."),
        "strip_prefix": attr.string(doc = "Removed from the workspace path of every `srcs` file (\".\" = this package)."),
        "directories": attr.string_list(doc = "Empty directories to create (image paths)."),
        "symlinks": attr.string_dict(doc = "Symlinks to create: {image path: target}; targets are kept verbatim."),
        "modes": attr.string_dict(doc = "Explicit octal modes by final path, e.g. {\"app/run\": \"0750\", \"tmp\": \"1777\"}."),
        "tars": attr.label_list(
            allow_files = TAR_EXTENSIONS,
            doc = "Tar files whose entries are merged into the layer (normalized like everything else).",
        ),
        "binary": attr.label(
            executable = True,
            cfg = "target",
            doc = "An executable whose launcher and runfiles tree go into the layer, as `bazel run` lays them out.",
        ),
        "binary_path": attr.string(doc = "Where the binary's launcher goes (default `<name>/<name>` of the binary); its tree goes to `<binary_path>.runfiles/`."),
        "runfiles_part": attr.string(
            default = "all",
            values = PARTS,
            doc = "Which part of the binary's runfiles to take: all, interpreter (the Python runtime's repository), packages (`site-packages/`), application (the rest, launcher and manifests).",
        ),
        "python_launcher": attr.bool(
            doc = "Point the binary's launcher `#!` line at the Python toolchain's interpreter inside the image, so it runs where no python3 is on PATH.",
        ),
        "compression": attr.string(default = "gzip", values = ["gzip", "zstd", "none"], doc = "Blob compression; gzip output does not depend on the number of threads."),
        "mtime": attr.int(default = 0, doc = "Modification time of every entry (seconds since the epoch)."),
        "_layer_writer": attr.label(
            default = "//tools/layer:layer_writer",
            executable = True,
            cfg = "exec",
        ),
    },
    toolchains = [config_common.toolchain_type(_PY_TOOLCHAIN, mandatory = False)],
)
