"""Lays out a binary and its runfiles tree as layer entries, the way `bazel run` sees them.

The launcher goes to `<dir>/<name>`, the tree to `<dir>/<name>.runfiles/`, plus the runfiles
manifest written with in-image absolute paths (the one Bazel writes names the build machine's
paths); in it the interpreter and package repositories are single directory entries. Each entry carries the part of the tree it belongs to, so a layer can take one part:

- "interpreter": files of the Python runtime's repository,
- "packages": files under a `site-packages/` directory (pip repositories),
- "application": everything else (launcher, manifests, the program's own files).

A repository unpacked from Debian packages (`deb.tree`) carries a mode record at its root; it is
no entry of its own but tells the layer writer the packages' modes for that repository's files.
Beside it, its packages record (which packages, from which lock) is no entry either: it goes to
the layer's SBOM contents.
Only the launcher has a mode here (0755, declared by its rule): every other file's mode comes
from its record or its content, never from the permission bits Bazel gives it.
"""

# The name tools/layer/modes.py gives a mode record (RECORD_NAME).
MODE_RECORD = "deb_tree.modes"

# The name tools/debian/deb_tree.py gives a tree's packages record (PACKAGES_RECORD).
PACKAGES_RECORD = "deb_tree.packages.json"

PARTS = ["all", "interpreter", "packages", "application"]

def _runfiles_path(file):
    # short_path is "pkg/file" in the main repository and "../<repo>/pkg/file" elsewhere.
    if file.short_path.startswith("../"):
        return file.short_path[3:]
    return "_main/" + file.short_path

def _part(rlocation, interpreter_repo):
    if interpreter_repo and rlocation.startswith(interpreter_repo + "/"):
        return "interpreter"
    if "/site-packages/" in rlocation:
        return "packages"
    return "application"

def runfiles_path(file):
    """Where `file` sits below a runfiles directory."""
    return _runfiles_path(file)

def runfiles_entries(binary, binary_path, interpreter_repo, empty_file):
    """Entries of `binary` placed at `binary_path`.

    Args:
      binary: a target with an executable (DefaultInfo.files_to_run).
      binary_path: where the launcher goes in the image, e.g. "task_builder/task_builder".
      interpreter_repo: canonical name of the Python runtime's repository, or None.
      empty_file: a File with no content, for the runfiles' empty files (`__init__.py`).

    Returns:
      (entries, manifest text, repositories): entries are structs (entry: spec dict, or None for a
      record; record: None, "modes" or "packages"; part: one of PARTS, or "launcher" for the
      launcher itself and "repo_mapping" for Bazel's repository mapping, which belong to
      "application"; input: File; rlocation: its path in the tree); repositories: the runfiles
      directories that hold files (canonical names, "_main" first).
    """
    files_to_run = binary[DefaultInfo].files_to_run
    runfiles = binary[DefaultInfo].default_runfiles
    root = binary_path + ".runfiles"
    entries = []
    manifest = {}

    def add_file(rlocation, file):
        part = _part(rlocation, interpreter_repo)
        repo, _, rest = rlocation.partition("/")
        if rest in (MODE_RECORD, PACKAGES_RECORD) and repo != "_main":
            record = "modes" if rest == MODE_RECORD else "packages"
            entries.append(struct(entry = None, record = record, part = part, input = file, rlocation = rlocation))
            return
        entries.append(struct(
            entry = {"path": root + "/" + rlocation, "type": "file", "src": file.path},
            record = None,
            part = part,
            input = file,
            rlocation = rlocation,
        ))

        # The interpreter and each package repository appear in the manifest as one directory
        # entry (runfiles libraries resolve paths below it), so the manifest, which lives in the
        # application layer, changes only when the application or the set of packages does.
        key = rlocation if part == "application" else rlocation.partition("/")[0]
        manifest[key] = "/" + root + "/" + key

    for file in runfiles.files.to_list():
        add_file(_runfiles_path(file), file)
    for link in runfiles.symlinks.to_list():
        add_file("_main/" + link.path, link.target_file)
    for link in runfiles.root_symlinks.to_list():
        add_file(link.path, link.target_file)
    for path in runfiles.empty_filenames.to_list():
        add_file("_main/" + path, empty_file)
        entries[-1].entry["mode"] = "0644"

    repo_mapping = getattr(files_to_run, "repo_mapping_manifest", None)
    if repo_mapping:
        # Bazel's repository mapping names every repository of the binary's build graph (its
        # toolchains too); the layer keeps the lines that lookups from this tree can use (see
        # image_layer), so the image does not change with a toolchain that adds no file.
        entries.append(struct(
            entry = {"path": root + "/_repo_mapping", "type": "file", "src": repo_mapping.path, "mode": "0644"},
            record = None,
            part = "repo_mapping",
            input = repo_mapping,
            rlocation = "_repo_mapping",
        ))

    entries.append(struct(
        entry = {"path": binary_path, "type": "file", "src": files_to_run.executable.path, "mode": "0755"},
        record = None,
        part = "launcher",
        input = files_to_run.executable,
        rlocation = None,
    ))
    manifest_text = "".join(["%s %s\n" % (k, manifest[k]) for k in sorted(manifest)])
    repositories = {e.entry["path"][len(root) + 1:].partition("/")[0]: True for e in entries if e.entry and "/" in e.entry["path"][len(root) + 1:]}
    return entries, manifest_text, sorted(repositories)
