"""The `pip_lock` module extension: a pip lock checked line by line before rules_python reads it.

rules_python's `pip.parse` takes any text: a garbage line becomes a "package" whose pip install
fails with a traceback naming a temporary file, a missing hash is not noticed at all. So each
lock is read here first, and `pip.parse` is given the checked copy (`@<name>//:<file>`), which
exists only once the check has passed: whatever asks for the pip packages meets the check first.
"""

load(":locks.bzl", "lock_display", "lock_problem")

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_NAME_CHARS = _NAME_START + "._-"
_HEX = "0123456789abcdef"

# Options pip-compile writes or a lock may carry; anything else is a typo.
_OPTIONS = ["--index-url", "--extra-index-url", "--find-links", "--trusted-host"]

def _logical_lines(text):
    """[(first line number, text)] with backslash continuations joined and comments dropped."""
    lines = []
    start = None
    buffer = ""
    for number, line in enumerate(text.replace("\r", "").split("\n"), 1):
        stripped = line.strip()
        if start == None and (not stripped or stripped.startswith("#")):
            continue
        if start == None:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        lines.append((start, buffer))
        start = None
        buffer = ""
    if start != None:
        lines.append((start, buffer))
    return lines

def _is_name(text):
    return bool(text) and text[0] in _NAME_START and not [c for c in text.elems() if c not in _NAME_CHARS]

def _check_requirement(line):
    """(name, problem or None) of one requirement line."""
    words = [w for w in line.split(" ") if w]
    line = " ".join(words)
    hashes = [w for w in words if w.startswith("--hash")]
    spec = " ".join([w for w in words if not w.startswith("--hash")])
    if ";" in spec:
        spec = spec.split(";", 1)[0].strip()  # an environment marker: pip's to evaluate
    name, sep, version = spec.partition("==")
    name = name.split("[", 1)[0].strip()  # extras
    version = version.strip()
    if not sep or not _is_name(name) or not version or " " in version or [c for c in "<>=!~,".elems() if c in version]:
        return None, "`%s` is not a pinned requirement (NAME==VERSION --hash=sha256:<64 hex digits>)" % line
    if not hashes:
        return name, "%s==%s has no --hash: a lock pins every package by sha256" % (name, version)
    for h in hashes:
        digest = h[len("--hash="):] if h.startswith("--hash=") else ""
        if not digest.startswith("sha256:") or len(digest) != 71 or [c for c in digest[7:].elems() if c not in _HEX]:
            return name, "%s==%s: `%s` is not --hash=sha256:<64 lower-case hex digits>" % (name, version, h)
    return name, None

def check_pip_lock(text):
    """The first problem of a pip lock's text as (line number, problem), or None."""
    seen = {}
    for number, line in _logical_lines(text):
        if line.startswith("-"):
            option = line.split("=", 1)[0].split(" ", 1)[0]
            if option not in _OPTIONS:
                return (number, "`%s` is not an option a lock may carry (%s)" % (line, ", ".join(_OPTIONS)))
            continue
        name, problem = _check_requirement(line)
        if problem:
            return (number, problem)
        key = name.lower().replace("_", "-").replace(".", "-")
        if key in seen:
            return (number, "%s is locked twice (also on line %d)" % (name, seen[key]))
        seen[key] = number
    return None

def _checked_lock_impl(rctx):
    rctx.file(rctx.attr.lock.name, rctx.read(rctx.attr.lock))
    rctx.file("BUILD.bazel", 'exports_files(["%s"])\n' % rctx.attr.lock.name)

_checked_lock = repository_rule(
    implementation = _checked_lock_impl,
    doc = "The copy of a pip lock the pip_lock extension has checked.",
    attrs = {"lock": attr.label(mandatory = True, allow_single_file = True)},
)

def _pip_lock_impl(module_ctx):
    for mod in module_ctx.modules:
        for tag in mod.tags.check:
            problem = check_pip_lock(module_ctx.read(module_ctx.path(tag.lock)))
            if problem:
                fail(lock_problem(
                    lock_display(tag.lock),
                    "line %d" % problem[0],
                    problem[1],
                    "fix the line, or re-lock with `%s`" % (tag.update or "pip-compile --generate-hashes"),
                ))
            _checked_lock(name = tag.name, lock = tag.lock)

pip_lock = module_extension(
    implementation = _pip_lock_impl,
    doc = """Checks pip locks before rules_python reads them.

```starlark
pip_lock = use_extension("@reproimage//rules:extensions.bzl", "pip_lock")
pip_lock.check(name = "pypi_lock", lock = "//:requirements_lock.txt", update = "bazel run //:requirements.update")
use_repo(pip_lock, "pypi_lock")

pip.parse(name = "pypi", requirements_lock = "@pypi_lock//:requirements_lock.txt", ...)
```

Every line must be a comment, an index option, or `NAME==VERSION` (extras and an environment
marker allowed) with at least one `--hash=sha256:<64 hex digits>`; a package may appear once.
A problem fails the build in one line: the lock, the line number, what is wrong, and the fix.
""",
    tag_classes = {
        "check": tag_class(
            doc = "A repository `@<name>` holding the lock, once checked, under its own file name.",
            attrs = {
                "name": attr.string(mandatory = True),
                "lock": attr.label(mandatory = True, doc = "A requirements lock (pip-compile --generate-hashes)."),
                "update": attr.string(doc = "The command that re-locks it, for the message."),
            },
        ),
    },
)
