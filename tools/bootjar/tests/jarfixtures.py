"""Builds real input jars for the boot jar tests (with Python's zipfile, as any jar tool might).

Test-only: the class files are synthetic (a class file's magic, then bytes derived from the
name), enough for everything the tool does with them: copy, compare, index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Iterable, Sequence

REPO_ROOT = Path(__file__).parents[3]
TOOL = REPO_ROOT / "tools" / "bootjar" / "spring_boot_jar.py"
LAUNCHER_ENTRY = "org/springframework/boot/loader/launch/JarLauncher.class"
LOADER_VERSION = "3.5.7"


def class_bytes(name: str, variant: str = "", size: int = 600) -> bytes:
    """Deterministic pseudo class-file bytes; a different `variant` gives different bytes."""
    seed = hashlib.sha256(f"{name}|{variant}".encode()).digest()
    rng = random.Random(seed)
    words = [b"java/lang/Object", b"<init>", b"Code", b"LineNumberTable", name.encode(), b"SourceFile"]
    body = b"".join(rng.choice(words) + bytes([rng.randrange(256)]) for _ in range(size // 12))
    return b"\xca\xfe\xba\xbe\x00\x00\x00\x3d" + body[:size]


@dataclasses.dataclass
class Jar:
    path: Path
    entries: dict[str, bytes]


def write_jar(path: Path, entries: dict[str, bytes] | Sequence[tuple[str, bytes]], *,
              order: str = "given", compression: int = zipfile.ZIP_DEFLATED, level: int | None = 6,
              date_time: tuple[int, int, int, int, int, int] = (2024, 5, 6, 7, 8, 10),
              manifest: str | None = "Manifest-Version: 1.0\r\nCreated-By: test\r\n\r\n",
              directories: bool = True, seed: int = 0) -> Jar:
    """A jar of `entries` (plus a manifest and directory entries unless disabled), written in
    `order`: "given", "sorted", "reversed" or "shuffled" (by `seed`)."""
    items = list(entries.items() if isinstance(entries, dict) else entries)
    if manifest is not None:
        items.insert(0, ("META-INF/MANIFEST.MF", manifest.encode("utf-8")))
    if directories:
        dirs: list[str] = []
        for name, _ in items:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i]) + "/"
                if d not in dirs:
                    dirs.append(d)
        items = [(d, b"") for d in dirs] + items
    if order == "sorted":
        items.sort()
    elif order == "reversed":
        items.sort(reverse=True)
    elif order == "shuffled":
        random.Random(seed).shuffle(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else compression
            info.external_attr = (0o40755 << 16) | 0x10 if name.endswith("/") else 0o100644 << 16
            zf.writestr(info, data, compresslevel=level)
    return Jar(path, {name: data for name, data in items if not name.endswith("/")})


def write_loader(path: Path, version: str | None = LOADER_VERSION, extra: dict[str, bytes] | None = None,
                 **kwargs: Any) -> Jar:
    """A jar shaped like spring-boot-loader: classes under org/springframework/boot/loader/, a
    service file, license files and a manifest with Implementation-Version."""
    entries = {
        "META-INF/LICENSE.txt": b"Apache License 2.0\n",
        "META-INF/services/java.nio.file.spi.FileSystemProvider":
            b"org.springframework.boot.loader.nio.file.NestedFileSystemProvider\n",
        LAUNCHER_ENTRY: class_bytes(LAUNCHER_ENTRY),
        "org/springframework/boot/loader/launch/Launcher.class": class_bytes("Launcher"),
        "org/springframework/boot/loader/zip/ZipContent.class": class_bytes("ZipContent"),
        **(extra or {}),
    }
    manifest = "Manifest-Version: 1.0\r\nImplementation-Title: Spring Boot Loader\r\n"
    if version is not None:
        manifest += f"Implementation-Version: {version}\r\n"
    return write_jar(path, entries, manifest=manifest + "\r\n", **kwargs)


def write_app(path: Path, classes: Iterable[str] = ("com/example/App", "com/example/Util"),
              resources: dict[str, bytes] | None = None, **kwargs: Any) -> Jar:
    entries = {f"{c}.class": class_bytes(c) for c in classes}
    entries.update(resources or {"application.properties": b"server.port=8080\n",
                                 "META-INF/spring.factories": b"x=y\n"})
    return write_jar(path, entries, **kwargs)


def write_lib(path: Path, package: str, count: int = 3, variant: str = "", **kwargs: Any) -> Jar:
    entries = {f"{package}/C{i}.class": class_bytes(f"{package}/C{i}", variant) for i in range(count)}
    entries[f"META-INF/maven/{package}/pom.properties"] = f"artifactId={package}\n".encode()
    return write_jar(path, entries, **kwargs)


@dataclasses.dataclass
class Inputs:
    loader: Jar
    app: Jar
    libs: list[tuple[str, Jar]]  # (BOOT-INF/lib name, jar)

    def spec(self, **overrides: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "loader": str(self.loader.path),
            "classes": [str(self.app.path)],
            "libs": [{"name": name, "path": str(jar.path)} for name, jar in self.libs],
            "start_class": "com.example.App",
            "build_target": "//app:app",
        }
        spec.update(overrides)
        return spec


def standard_inputs(root: Path, **jar_kwargs: Any) -> Inputs:
    """A loader, an application jar and three runtime jars under `root`."""
    libs = [
        ("jcommander-1.82.jar", write_lib(root / "m2" / "jcommander-1.82.jar", "com/beust/jcommander", 4, **jar_kwargs)),
        ("spring-core-6.2.12.jar", write_lib(root / "m2" / "spring-core-6.2.12.jar", "org/springframework/core", 5,
                                             **jar_kwargs)),
        ("libhelper.jar", write_lib(root / "bin" / "libhelper.jar", "com/example/helper", 2, **jar_kwargs)),
    ]
    return Inputs(write_loader(root / "loader" / "spring-boot-loader-3.5.7.jar", **jar_kwargs),
                  write_app(root / "bin" / "libapp.jar", **jar_kwargs), libs)


def write_spec(path: Path, spec: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def run_tool(args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
             umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def preexec() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([sys.executable, str(TOOL), *args], cwd=cwd or REPO_ROOT, env=env, capture_output=True,
                          text=True, preexec_fn=preexec, timeout=120)


def build(tmp: Path, spec: dict[str, Any], name: str = "out.jar") -> Path:
    """Runs the CLI on `spec`; returns the jar (the run must succeed)."""
    out = tmp / name
    result = run_tool([f"--spec={write_spec(tmp / (name + '.json'), spec)}", f"--output={out}"])
    assert result.returncode == 0, result.stderr
    return out


def fail(tmp: Path, spec: dict[str, Any], name: str = "out.jar") -> str:
    """Runs the CLI on `spec`, which must fail in one line and leave the output as it was
    (absent, or the previous run's bytes); returns the line."""
    out = tmp / name
    before = out.read_bytes() if out.exists() else None
    result = run_tool([f"--spec={write_spec(tmp / (name + '.json'), spec)}", f"--output={out}"])
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spring_boot_jar: error: "), result.stderr
    assert (out.read_bytes() if out.exists() else None) == before
    assert not [p for p in tmp.iterdir() if p.name.startswith(".tmp-")], "a temporary file was left behind"
    return lines[0]


# The zip structures, parsed by hand so the tests see every byte the writer chose.
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


@dataclasses.dataclass(frozen=True)
class RawEntry:
    name: str
    made_by: int
    version_needed: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compressed_size: int
    size: int
    extra_len: int
    comment_len: int
    internal_attr: int
    external_attr: int
    offset: int
    local_extra_len: int
    local_flags: int
    data_start: int


def raw_entries(data: bytes) -> tuple[list[RawEntry], int]:
    """The central directory's entries (in order) with their local headers' fields; and the
    archive comment's length."""
    end = data.rindex(b"PK\x05\x06")
    (_, _, _, count, total, cd_size, cd_offset, comment_len) = _END.unpack_from(data, end)
    assert count == total and end == cd_offset + cd_size
    entries = []
    pos = cd_offset
    for _ in range(count):
        fields = _CENTRAL.unpack_from(data, pos)
        assert fields[0] == 0x02014B50
        name_len, extra_len, comment = fields[10], fields[11], fields[12]
        name = data[pos + _CENTRAL.size:pos + _CENTRAL.size + name_len].decode("utf-8")
        offset = fields[16]
        local = _LOCAL.unpack_from(data, offset)
        assert local[0] == 0x04034B50
        local_name_len, local_extra = local[9], local[10]
        entries.append(RawEntry(name, fields[1], fields[2], fields[3], fields[4], fields[5], fields[6], fields[7],
                                fields[8], fields[9], extra_len, comment, fields[13], fields[15], offset,
                                local_extra, local[2], offset + _LOCAL.size + local_name_len + local_extra))
        pos += _CENTRAL.size + name_len + extra_len + comment
    return entries, comment_len


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
