"""A built image "rebuilt with one changed class", made from its layout with the project's own
writers instead of a second Bazel build: the boot jar's first application class gets one byte
of its SourceFile name changed, the jar is rewritten by tools/bootjar's ZipWriter, the layer by
tools/layer's LayerBuilder, config and manifest as canonical JSON (tools/common), as
`oci_image` writes them.

Each writer is first run on the unchanged input and must give back the original bytes (jar,
layer digest, config and manifest): so the copy differs from the original exactly where a real
rebuild would (the class, hence the jar, the layer, its diff_id, the config, the manifest) and
nowhere else.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import tarfile
import tempfile

from tools.bootjar import jars
from tools.bootjar.zip_writer import DEFLATED, ZipWriter
from tools.common import canonical_json, oci
from tools.common.digest import sha256_digest
from tools.layer.builder import LayerBuilder
from tools.layer import decompress

_COMPRESSION = {oci.LAYER_TAR_GZIP: "gzip", oci.LAYER_TAR_ZSTD: "zstd", oci.LAYER_TAR: "none"}


@dataclasses.dataclass(frozen=True)
class Changed:
    layout: str
    digest: str
    jar: str  # its path in the image
    entry: str  # the class's entry in the jar
    class_name: str


def _rewrite_jar(data: bytes, scratch: str, change: str | None) -> bytes:
    """The jar rewritten by ZipWriter, entry by entry in its order; `change` gets one byte changed."""
    src = os.path.join(scratch, "in.jar")
    with open(src, "wb") as f:
        f.write(data)
    out = io.BytesIO()
    writer = ZipWriter(out)
    with open(src, "rb") as f:
        for member in jars.read_central_directory(f, len(data)):
            if member.name.endswith("/"):
                writer.directory(member.name)
                continue
            body = jars.read_member(f, member)
            if member.name == change:
                body = _change_source_file(body, member.name)
            if member.method == DEFLATED:
                writer.deflated(member.name, body)
            else:
                stored = os.path.join(scratch, "stored")
                with open(stored, "wb") as s:
                    s.write(body)
                writer.stored_file(member.name, stored)
    writer.finish()
    return out.getvalue()


def _change_source_file(body: bytes, name: str) -> bytes:
    """The class with the first letter of its SourceFile constant (`Foo.java`) swapped: a class
    that still parses, as a one-character source edit of the file name would give."""
    source = os.path.basename(name)[: -len(".class")].split("$")[0].encode() + b".java"
    at = body.find(source)
    assert at > 0, f"{name} names no {source!r}"
    changed = bytearray(body)
    changed[at] = ord("X") if changed[at] != ord("X") else ord("Y")
    return bytes(changed)


def _boot_jar(tar: tarfile.TarFile) -> tuple[str, bytes, str] | None:
    """(path, bytes, first application class) of the first jar in the tar holding BOOT-INF/classes."""
    for member in tar:
        if member.isfile() and member.name.endswith(".jar"):
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            with tempfile.NamedTemporaryFile() as f:
                f.write(data)
                f.flush()
                with open(f.name, "rb") as r:
                    names = [m.name for m in jars.read_central_directory(r, len(data))]
            classes = [n for n in names if n.startswith("BOOT-INF/classes/") and n.endswith(".class") and "$" not in n]
            if classes:
                return member.name, data, classes[0]
    return None


def _tar_with(layer_tar: str, path: str, data: bytes, out: str) -> None:
    with tarfile.open(layer_tar) as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src:
            if member.name == path:
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            else:
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)


def _layer(tar_path: str, media_type: str, mtime: int, out: str) -> dict:
    with LayerBuilder(mtime=mtime) as builder, open(out, "wb") as f:
        builder.add_tar(tar_path)
        return builder.write(f, compression=_COMPRESSION[media_type]).to_json()


def rebuild_with_one_changed_class(layout: str, dest: str) -> Changed:
    image = oci.resolve_image(oci.Layout.open(layout, "image"))
    with open(image.manifest_path, "rb") as f:
        manifest_bytes = f.read()
    with open(image.config_path, "rb") as f:
        config_bytes = f.read()
    manifest, config = json.loads(manifest_bytes), json.loads(config_bytes)
    assert canonical_json.dumps(manifest) == manifest_bytes and canonical_json.dumps(config) == config_bytes
    blobs = os.path.join(layout, "blobs", "sha256")
    with tempfile.TemporaryDirectory() as scratch:
        for index in reversed(range(len(manifest["layers"]))):
            layer = manifest["layers"][index]
            plain = os.path.join(scratch, "layer.tar")
            with open(os.path.join(blobs, layer["digest"][7:]), "rb") as raw, open(plain, "wb") as out:
                stream, _ = decompress.open_detected(raw, layer["digest"])
                shutil.copyfileobj(stream, out, 1 << 20)
            with tarfile.open(plain) as tar:
                found = _boot_jar(tar)
                mtime = next(iter(tar)).mtime
            if found:
                break
        else:
            raise AssertionError(f"{layout} has no layer with a boot jar")
        jar_path, jar, entry = found
        assert _rewrite_jar(jar, scratch, None) == jar, "ZipWriter does not reproduce the boot jar"
        same = os.path.join(scratch, "same.tar")
        _tar_with(plain, jar_path, jar, same)
        assert _layer(same, layer["mediaType"], mtime, os.path.join(scratch, "same.blob"))["digest"] == layer["digest"], \
            "LayerBuilder does not reproduce the layer"
        changed_tar = os.path.join(scratch, "changed.tar")
        _tar_with(plain, jar_path, _rewrite_jar(jar, scratch, entry), changed_tar)
        new_blob = os.path.join(scratch, "changed.blob")
        new = _layer(changed_tar, layer["mediaType"], mtime, new_blob)

        os.makedirs(os.path.join(dest, "blobs", "sha256"))
        for name in os.listdir(blobs):
            source, target = os.path.realpath(os.path.join(blobs, name)), os.path.join(dest, "blobs", "sha256", name)
            try:
                os.link(source, target)
            except OSError:  # another file system
                shutil.copyfile(source, target)
        shutil.copyfile(new_blob, os.path.join(dest, "blobs", "sha256", new["digest"][7:]))
    config["rootfs"]["diff_ids"][index] = new["diffID"]
    manifest["layers"][index] = {**layer, "digest": new["digest"], "size": new["size"]}
    digest = _write_json_blob(dest, config)
    manifest["config"] = {**manifest["config"], "digest": digest, "size": len(canonical_json.dumps(config))}
    manifest_digest = _write_json_blob(dest, manifest)
    with open(os.path.join(layout, oci.INDEX_FILE), "rb") as f:
        index_json = json.load(f)
    index_json["manifests"][0].update(digest=manifest_digest, size=len(canonical_json.dumps(manifest)))
    with open(os.path.join(dest, oci.INDEX_FILE), "wb") as f:
        f.write(canonical_json.dumps(index_json))
    shutil.copyfile(os.path.join(layout, oci.OCI_LAYOUT_FILE), os.path.join(dest, oci.OCI_LAYOUT_FILE))
    class_name = entry[len("BOOT-INF/classes/"):-len(".class")].replace("/", ".")
    return Changed(dest, manifest_digest, jar_path, entry, class_name)


def _write_json_blob(layout: str, value: dict) -> str:
    data = canonical_json.dumps(value)
    digest = sha256_digest(data)
    with open(os.path.join(layout, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(data)
    return digest
