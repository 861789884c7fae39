"""`spring_boot_jar`: a java_library and its runtime closure as a Spring Boot executable jar."""

load("@rules_java//java/common:java_info.bzl", "JavaInfo")
load(":layer_contents.bzl", "label_text")
load(":locked_file.bzl", "locked_inputs_aspect")
load(":providers.bzl", "LockedInputsInfo", "SpringBootJarInfo")

DEFAULT_LAUNCHER = "org.springframework.boot.loader.launch.JarLauncher"

# Substrings of jar file names that mark test-only libraries (rules_spring's deps_banned has
# junit and mockito; the others are their usual companions).
DEFAULT_BANNED = [
    "junit",
    "mockito",
    "assertj",
    "hamcrest",
    "spring-boot-test",
    "spring-test",
    "opentest4j",
    "testng",
]

def _single_jar(target, attr):
    jars = target[JavaInfo].runtime_output_jars if JavaInfo in target else target.files.to_list()
    jars = [f for f in jars if f.extension == "jar"]
    if len(jars) != 1:
        fail("%s: %s must provide exactly one jar, got %d" % (attr, target.label, len(jars)))
    return jars[0]

def _lib_names(jars):
    """The jars' names in BOOT-INF/lib/.

    A jar keeps its file name unless another jar has the same one; then both are named after
    their paths (stable: a short_path holds no configuration directory).
    """
    count = {}
    for jar in jars:
        count[jar.basename] = count.get(jar.basename, 0) + 1
    names = []
    for jar in jars:
        if count[jar.basename] == 1:
            names.append(jar.basename)
        else:
            path = jar.short_path[3:] if jar.short_path.startswith("../") else jar.short_path
            names.append(path.replace("/", "_"))
    return names

def _spring_boot_jar_impl(ctx):
    app = ctx.attr.java_library[JavaInfo]
    classes = app.runtime_output_jars
    if not classes:
        fail("java_library %s has no output jar (no srcs and no resources?)" % ctx.attr.java_library.label)
    loader = _single_jar(ctx.attr.boot_loader, "boot_loader")

    # The loader's classes go to the jar's root; neither it nor the application's own jar may
    # also end up in BOOT-INF/lib/.
    excluded = {jar: True for jar in classes}
    excluded[loader] = True
    for target in ctx.attr.deps_exclude:
        for jar in target[JavaInfo].runtime_output_jars:
            excluded[jar] = True
    closure = depset(transitive = [app.transitive_runtime_jars] + [d[JavaInfo].transitive_runtime_jars for d in ctx.attr.deps])
    libs = [jar for jar in closure.to_list() if jar not in excluded]

    names = _lib_names(libs)

    # Which lock entry each jar was fetched by, for the SBOM (tools/evidence).
    locked = {}
    for target in [ctx.attr.java_library] + ctx.attr.deps:
        for info in target[LockedInputsInfo].files.to_list():
            locked[info.file] = info
    out = ctx.outputs.out or ctx.actions.declare_file(ctx.label.name + ".jar")
    ignorelist = ctx.file.dupeclassescheck_ignorelist
    spec = {
        "loader": loader.path,
        "classes": [jar.path for jar in classes],
        "libs": [
            # Jars built in this workspace (not fetched) go to Spring Boot's application layer.
            {"name": name, "path": jar.path, "application": jar.owner.workspace_name == "" and not jar.is_source}
            for name, jar in zip(names, libs)
        ],
        "start_class": ctx.attr.boot_app_class,
        "launcher_class": ctx.attr.boot_launcher_class,
        "build_target": label_text(ctx.label),
        "lib_order": "classpath" if ctx.attr.deps_use_starlark_order else "sorted",
        "dupeclassescheck": ctx.attr.dupeclassescheck_enable,
        "banned": ctx.attr.deps_banned,
    }
    if ctx.attr.spring_boot_version:
        spec["spring_boot_version"] = ctx.attr.spring_boot_version
    if ignorelist:
        spec["dupeclassescheck_ignorelist"] = ignorelist.path
    spec_file = ctx.actions.declare_file(ctx.label.name + ".bootjar.json")
    ctx.actions.write(spec_file, json.encode(spec))

    args = ctx.actions.args()
    args.add("--spec", spec_file)
    args.add("--output", out)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = [spec_file, loader] + classes + libs + ([ignorelist] if ignorelist else []),
        outputs = [out],
        mnemonic = "SpringBootJar",
        use_default_shell_env = True,
        progress_message = "Writing Spring Boot jar %%{label} (%d runtime jars)" % len(libs),
    )
    return [
        DefaultInfo(files = depset([out])),
        SpringBootJarInfo(
            jar = out,
            start_class = ctx.attr.boot_app_class,
            lib_jars = depset(libs),
            lib_names = names,
            lib_locked = [locked.get(jar) for jar in libs],
        ),
    ]

spring_boot_jar = rule(
    implementation = _spring_boot_jar_impl,
    doc = """A Spring Boot 3.2+ executable jar (`java -jar`) whose bytes depend only on its inputs.

The jar holds the loader's classes (from `boot_loader`) at its root, the `java_library`'s own
jar unpacked under `BOOT-INF/classes/`, every jar of its runtime closure (plus `deps`, minus
`deps_exclude`) stored uncompressed and byte-identical under `BOOT-INF/lib/` (except jars whose
manifest says `Spring-Boot-Jar-Type: dependencies-starter` or `annotation-processor`, which
Spring Boot's own packaging leaves out too),
`BOOT-INF/classpath.idx`, `BOOT-INF/layers.idx`, `META-INF/MANIFEST.MF` (Main-Class: the launcher,
Start-Class, Spring-Boot-Version/-Classes/-Lib/-Classpath-Index/-Layers-Index; no Build-Jdk, user
or time) and `build-data.properties` (`build.target` and `main.class` only).

Entries: `META-INF/` and the manifest first, then sorted by name, with a directory entry for
every parent; one timestamp (2010-01-01 00:00 in DOS time), fixed modes (0644 files, 0755
directories), no extra fields, and one pinned deflate (zlib level 6) for everything not under
`BOOT-INF/lib/`. The loader puts `BOOT-INF/classes/` and then the nested jars on the classpath in
archive order, i.e. by name (`deps_use_starlark_order` keeps the Java classpath order instead).

The build fails, naming the jars, when a class is in two places with different bytes
(`dupeclassescheck_enable`) or when a runtime jar's name contains a `deps_banned` word.
Attribute names follow rules_spring's `springboot` macro.

```starlark
spring_boot_jar(
    name = "collector_application",
    java_library = ":collector_lib",
    boot_app_class = "com.example.collector.CollectorApplication",
    boot_loader = ":spring_boot_loader",  # org.springframework.boot:spring-boot-loader, e.g. a java_import
    out = "collector_application.jar",
)
```
""",
    attrs = {
        "java_library": attr.label(
            mandatory = True,
            providers = [JavaInfo],
            aspects = [locked_inputs_aspect],
            doc = "The application: its own jar becomes `BOOT-INF/classes/`, its runtime closure `BOOT-INF/lib/`.",
        ),
        "boot_app_class": attr.string(
            mandatory = True,
            doc = "Start-Class: the fully qualified name of the class with `main` (the `@SpringBootApplication` class).",
        ),
        "boot_launcher_class": attr.string(
            default = DEFAULT_LAUNCHER,
            doc = "Main-Class: the loader's launcher; it must be in `boot_loader`.",
        ),
        "boot_loader": attr.label(
            mandatory = True,
            allow_files = [".jar"],
            doc = "The `org.springframework.boot:spring-boot-loader` jar (a jar file or a Java target with one jar). " +
                  "Its Implementation-Version is the manifest's Spring-Boot-Version unless `spring_boot_version` is set.",
        ),
        "deps": attr.label_list(
            providers = [JavaInfo],
            aspects = [locked_inputs_aspect],
            doc = "Extra runtime dependencies, with their runtime closures (normally everything comes through `java_library`).",
        ),
        "deps_exclude": attr.label_list(
            providers = [JavaInfo],
            doc = "Java targets whose own jars (not their dependencies) are left out of `BOOT-INF/lib/`.",
        ),
        "deps_banned": attr.string_list(
            default = DEFAULT_BANNED,
            doc = "Fail when a `BOOT-INF/lib/` jar's file name contains one of these (case-insensitive): test libraries.",
        ),
        "deps_use_starlark_order": attr.bool(
            default = False,
            doc = "Keep the Java classpath order (the depset order Bazel gives) for `BOOT-INF/lib/` and " +
                  "`classpath.idx` instead of sorting by name.",
        ),
        "dupeclassescheck_enable": attr.bool(
            default = True,
            doc = "Fail when a class (module-info excepted) is in two jars, or the classes and a jar, with different bytes.",
        ),
        "dupeclassescheck_ignorelist": attr.label(
            allow_single_file = True,
            doc = "A text file of jar file names, one a line (`#` comments), left out of the duplicate-class check.",
        ),
        "spring_boot_version": attr.string(
            doc = "Spring-Boot-Version in the manifest; default: the loader jar's Implementation-Version.",
        ),
        "out": attr.output(
            doc = "The jar's file name (e.g. `collector_application.jar`); default `<name>.jar`.",
        ),
        "_tool": attr.label(default = "//tools/bootjar:spring_boot_jar", executable = True, cfg = "exec"),
    },
)
