"""The Spring Boot executable jar layout: which entries, in which order, from where.

`plan()` reads the inputs' central directories, runs the checks and decides every entry
without writing anything; `write()` turns a plan into bytes. The layout is Spring Boot 3.2+'s:

    META-INF/MANIFEST.MF                  Main-Class (the launcher), Start-Class, Spring-Boot-*
    org/springframework/boot/loader/...   the loader's classes (and META-INF/services/) at the root
    BOOT-INF/classes/...                  the application jar's entries (its manifest dropped)
    BOOT-INF/lib/<name>.jar               every runtime jar, stored, byte-identical to its input
                                          (not starters' empty jars nor annotation processors)
    BOOT-INF/classpath.idx, layers.idx    Spring Boot's indexes
    build-data.properties                 build.target and main.class, nothing else

Order: `META-INF/` and `META-INF/MANIFEST.MF` first (java.util.jar.JarInputStream finds a
manifest only there), then every other entry sorted by name (code points, i.e. UTF-8 bytes); a
directory entry for every parent, each sorting before its children. The loader builds the
classpath in archive order, so BOOT-INF/classes/ comes before the jars and the jars are in
name order, which classpath.idx repeats; `lib_order="classpath"` keeps the given classpath
order for the BOOT-INF/lib/ block instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from typing import BinaryIO, Iterator, Sequence

from tools.bootjar import checks, text_files
from tools.bootjar.jars import InputJar
from tools.bootjar.zip_writer import ZipWriter
from tools.common.errors import UserError

DEFAULT_LAUNCHER = "org.springframework.boot.loader.launch.JarLauncher"
CLASSES_DIR = "BOOT-INF/classes/"
LIB_DIR = "BOOT-INF/lib/"
MANIFEST = "META-INF/MANIFEST.MF"
CLASSPATH_INDEX = "BOOT-INF/classpath.idx"
LAYERS_INDEX = "BOOT-INF/layers.idx"
BUILD_DATA = "build-data.properties"
LIB_ORDERS = ("sorted", "classpath")
# Jars that mark themselves as not for run time (the starters' empty dependency jars, annotation
# processors); Spring Boot's own packaging leaves them out of BOOT-INF/lib/, and so do we.
SKIPPED_JAR_TYPES = frozenset({"dependencies-starter", "annotation-processor"})

_CLASS_NAME = re.compile(r"[^\W\d][\w$]*(\.[^\W\d][\w$]*)*")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*")


@dataclasses.dataclass(frozen=True)
class Lib:
    name: str  # file name in BOOT-INF/lib/
    path: str
    # Built in this workspace, not fetched: Spring Boot puts such "project" jars in the
    # application layer, next to the classes.
    application: bool = False


@dataclasses.dataclass(frozen=True)
class BootJarSpec:
    loader: str
    classes: tuple[str, ...]
    libs: tuple[Lib, ...]  # in classpath order
    start_class: str
    launcher_class: str = DEFAULT_LAUNCHER
    spring_boot_version: str | None = None  # default: the loader jar's Implementation-Version
    build_target: str = ""
    lib_order: str = "sorted"
    dupe_check: bool = True
    dupe_ignorelist: frozenset[str] = frozenset()
    banned: tuple[str, ...] = checks.DEFAULT_BANNED


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    data: bytes | None = None  # generated content (deflated)
    jar: InputJar | None = None  # or a member of an input jar (re-deflated) ...
    member: str = ""
    path: str = ""  # ... or a file copied as it is (stored)

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")

    def origin(self) -> str:
        if self.jar is not None:
            return f"{self.jar.role} {self.jar.path}"
        return self.path or "generated"


@dataclasses.dataclass(frozen=True)
class Plan:
    entries: tuple[Entry, ...]
    spring_boot_version: str


@contextlib.contextmanager
def plan(spec: BootJarSpec) -> Iterator[Plan]:
    """Decides every entry (and fails on bad input) before anything is written. Input jars stay
    open until the context ends, so `write()` must run inside it."""
    _check_spec(spec)
    with contextlib.ExitStack() as stack:
        loader = stack.enter_context(InputJar(spec.loader, "the loader jar"))
        apps = [stack.enter_context(InputJar(path, "the application jar")) for path in spec.classes]
        libs = [stack.enter_context(InputJar(lib.path, f"{LIB_DIR}{lib.name}")) for lib in spec.libs]
        _check_banned(spec)
        kept = [(lib, jar) for lib, jar in zip(spec.libs, libs)
                if jar.manifest_attribute("Spring-Boot-Jar-Type") not in SKIPPED_JAR_TYPES]
        spec = dataclasses.replace(spec, libs=tuple(lib for lib, _ in kept))
        libs = [jar for _, jar in kept]
        for jar in libs:
            jar.close()  # reading the manifest opened it; a few reads may reopen it, not hundreds
        version = spec.spring_boot_version or loader.manifest_attribute("Implementation-Version")
        if not version or not _VERSION.fullmatch(version):
            raise UserError(f"the loader jar {spec.loader} has no usable Implementation-Version "
                            f"({version!r}) in its manifest; is it org.springframework.boot:spring-boot-loader? "
                            "Otherwise give spring_boot_version")
        files: dict[str, Entry] = {}
        for entry in _loader_entries(spec, loader):
            _add(files, entry)
        for entry in _class_entries(apps):
            _add(files, entry)
        _run_checks(spec, apps, libs)
        _check_start_class(spec, apps, libs)
        for lib in spec.libs:
            _add(files, Entry(LIB_DIR + lib.name, path=lib.path))
        for name in (MANIFEST, CLASSPATH_INDEX, LAYERS_INDEX, BUILD_DATA):
            _add(files, Entry(name, data=b""))  # placeholders: their content depends on the order
        names = _order(spec, files)
        lib_entries = [name for name in names if name.startswith(LIB_DIR) and name != LIB_DIR]
        generated = {
            MANIFEST: _manifest(spec, version),
            CLASSPATH_INDEX: text_files.classpath_index(lib_entries),
            LAYERS_INDEX: text_files.layers_index(_layers(spec, [n for n in names if not n.endswith("/")])),
            BUILD_DATA: _build_data(spec),
        }
        entries = tuple(Entry(name, data=generated[name]) if name in generated
                        else files.get(name) or Entry(name) for name in names)
        yield Plan(entries, version)


def write(the_plan: Plan, out: BinaryIO) -> int:
    """Writes the planned jar to `out` (a regular file at offset 0); returns its size."""
    writer = ZipWriter(out)
    for entry in the_plan.entries:
        if entry.is_dir:
            writer.directory(entry.name)
        elif entry.data is not None:
            writer.deflated(entry.name, entry.data)
        elif entry.jar is not None:
            writer.deflated(entry.name, entry.jar.read(entry.member))
        else:
            writer.stored_file(entry.name, entry.path)
    return writer.finish()


def _check_spec(spec: BootJarSpec) -> None:
    for what, value in (("Start-Class (boot_app_class)", spec.start_class),
                        ("the launcher class (boot_launcher_class)", spec.launcher_class)):
        if not _CLASS_NAME.fullmatch(value):
            raise UserError(f"{what} {value!r} is not a fully qualified Java class name like com.example.App")
    if spec.lib_order not in LIB_ORDERS:
        raise UserError(f"lib order {spec.lib_order!r} must be one of {', '.join(LIB_ORDERS)}")
    if not spec.classes:
        raise UserError("no application jar: the spec's \"classes\" must name the java_library's output jar")
    seen: dict[str, str] = {}
    for lib in spec.libs:
        if (not lib.name.endswith(".jar") or lib.name == ".jar" or any(c in lib.name for c in '/\\"')
                or not lib.name.isprintable()):
            raise UserError(f"BOOT-INF/lib name {lib.name!r} (for {lib.path}) must be a plain file name ending in .jar")
        if lib.name in seen:
            raise UserError(f"two jars would both be {LIB_DIR}{lib.name}: {seen[lib.name]} and {lib.path}; "
                            "give them distinct names")
        seen[lib.name] = lib.path


def _check_member_name(name: str, jar: InputJar) -> None:
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise UserError(f"{jar.role} {jar.path} has an entry named {name!r}, which is not a plain relative "
                        "path; rebuild the jar without it")


def _loader_entries(spec: BootJarSpec, loader: InputJar) -> list[Entry]:
    """The loader's classes and service files, at the root (what Spring Boot's own packager takes
    from the loader jar: the nested-jar file system provider is registered as a service)."""
    entries = []
    for member in loader.members:
        if member.name.endswith(".class") or member.name.startswith("META-INF/services/"):
            _check_member_name(member.name, loader)
            if member.name.startswith("BOOT-INF/") or member.name == MANIFEST:
                raise UserError(f"the loader jar {loader.path} has an entry {member.name!r}; that is not a "
                                "spring-boot-loader jar")
            entries.append(Entry(member.name, jar=loader, member=member.name))
    launcher = spec.launcher_class.replace(".", "/") + ".class"
    if launcher not in loader:
        raise UserError(f"the loader jar {loader.path} has no {launcher}: boot_launcher_class "
                        f"{spec.launcher_class!r} does not match the loader (Spring Boot 3.2+ uses {DEFAULT_LAUNCHER})")
    return entries


def _class_entries(apps: Sequence[InputJar]) -> list[Entry]:
    """The application jars' entries under BOOT-INF/classes/; their manifests are dropped (ours
    replaces them). The same name in two application jars must have the same bytes."""
    chosen: dict[str, Entry] = {}
    for jar in apps:
        for member in jar.members:
            if member.name == MANIFEST:
                continue
            _check_member_name(member.name, jar)
            entry = Entry(CLASSES_DIR + member.name, jar=jar, member=member.name)
            previous = chosen.get(member.name)
            if previous is None:
                chosen[member.name] = entry
            elif previous.jar is not None and previous.jar.read(member.name) != jar.read(member.name):
                raise UserError(f"{member.name} differs between the application jars {previous.jar.path} and "
                                f"{jar.path}; one java_library must provide it")
    return list(chosen.values())


def _add(files: dict[str, Entry], entry: Entry) -> None:
    previous = files.get(entry.name)
    if previous is not None:
        raise UserError(f"{entry.name} would come from both {previous.origin()} and {entry.origin()}")
    files[entry.name] = entry


def _check_banned(spec: BootJarSpec) -> None:
    hits = checks.find_banned([lib.name for lib in spec.libs], spec.banned)
    if hits:
        raise UserError(checks.banned_message(_target(spec), hits, {lib.name: lib.path for lib in spec.libs}))


def _target(spec: BootJarSpec) -> str:
    return spec.build_target or "spring_boot_jar"


def _run_checks(spec: BootJarSpec, apps: Sequence[InputJar], libs: Sequence[InputJar]) -> None:
    if not spec.dupe_check:
        return
    sources = [checks.ClassSource(f"{CLASSES_DIR} ({jar.path})", jar) for jar in apps]
    for lib, jar in zip(spec.libs, libs):
        ignored = lib.name in spec.dupe_ignorelist or _basename(lib.path) in spec.dupe_ignorelist
        if not ignored:
            sources.append(checks.ClassSource(f"{LIB_DIR}{lib.name} ({lib.path})", jar))
    conflicts = checks.find_conflicts(sources)
    if conflicts:
        raise UserError(checks.conflicts_message(_target(spec), conflicts))


def _check_start_class(spec: BootJarSpec, apps: Sequence[InputJar], libs: Sequence[InputJar]) -> None:
    entry = spec.start_class.replace(".", "/") + ".class"
    if not any(entry in jar for jar in [*apps, *libs]):
        raise UserError(f"Start-Class {spec.start_class}: no {entry} in the application jar(s) "
                        f"{', '.join(spec.classes)} or the runtime jars; check boot_app_class")


def _order(spec: BootJarSpec, files: dict[str, Entry]) -> list[str]:
    names = set(files)
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            names.add("/".join(parts[:i]) + "/")
    names.update({"META-INF/", CLASSES_DIR, LIB_DIR})
    for name in files:
        if name + "/" in names:
            raise UserError(f"{name} ({files[name].origin()}) is both a file and a directory in the jar")
    head = ["META-INF/", MANIFEST]
    rest = sorted(names - set(head))
    if spec.lib_order == "classpath":
        start = rest.index(LIB_DIR) + 1  # the lib files follow their directory as one block
        end = start + len(spec.libs)
        rest[start:end] = [LIB_DIR + lib.name for lib in spec.libs]
    return head + rest


def _layers(spec: BootJarSpec, files: Sequence[str]) -> dict[str, str]:
    lib_layers = {}
    for lib in spec.libs:
        if lib.application:
            layer = text_files.APPLICATION
        elif "SNAPSHOT" in lib.name:
            layer = text_files.SNAPSHOT_DEPENDENCIES
        else:
            layer = text_files.DEPENDENCIES
        lib_layers[LIB_DIR + lib.name] = layer
    return {name: lib_layers.get(name) or text_files.layer_of(name) for name in files}


def _manifest(spec: BootJarSpec, version: str) -> bytes:
    return text_files.manifest([
        ("Manifest-Version", "1.0"),
        ("Created-By", "reproimage spring_boot_jar"),
        ("Main-Class", spec.launcher_class),
        ("Start-Class", spec.start_class),
        ("Spring-Boot-Version", version),
        ("Spring-Boot-Classes", CLASSES_DIR),
        ("Spring-Boot-Lib", LIB_DIR),
        ("Spring-Boot-Classpath-Index", CLASSPATH_INDEX),
        ("Spring-Boot-Layers-Index", LAYERS_INDEX),
    ])


def _build_data(spec: BootJarSpec) -> bytes:
    values = {"main.class": spec.start_class}
    if spec.build_target:
        values["build.target"] = spec.build_target
    return text_files.properties(values)


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]
