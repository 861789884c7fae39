"""The layer contents manifest: what a layer holds, for its image's SBOM and provenance.

Written at analysis time by the rules that make layers (image_layer, deb_layer) from what they
know of their inputs; the evidence tools (tools/evidence) read it with the files it names.
Nothing here reaches a layer's bytes. The format is in tools/evidence/README.md.
"""

load(":providers.bzl", "LayerContentsInfo", "LockedInputsInfo", "SpringBootJarInfo")

FORMAT = "reproimage layer contents"

def label_text(label):
    """Main-repository labels as users write them: //pkg:name, not @@//pkg:name."""
    if label.workspace_name == "":
        return "//%s:%s" % (label.package, label.name)
    return str(label)

def locked_json(info):
    """A LockedFileInfo as the manifest records it (the artifact is named by its lock entry)."""
    return {"kind": info.kind, "key": info.key, "lock": info.lock.path, "lock_label": info.lock_label}

def locked_inputs(target):
    """The LockedFileInfo of what `target` was made from (locked_inputs_aspect), or []."""
    if LockedInputsInfo in target:
        return target[LockedInputsInfo].files.to_list()
    return []

def boot_jar_item(path, target):
    """The item of a Spring Boot jar at `path`, with every BOOT-INF/lib/ jar; (item, inputs)."""
    info = target[SpringBootJarInfo]
    libs = []
    inputs = [info.jar]
    for name, jar, locked in zip(info.lib_names, info.lib_jars.to_list(), info.lib_locked):
        libs.append({
            "name": name,
            "file": jar.path,
            "label": label_text(jar.owner),
            "locked": locked_json(locked) if locked else None,
        })
        inputs.append(jar)
        if locked:
            inputs.append(locked.lock)
    item = {"kind": "boot_jar", "path": path, "file": info.jar.path, "label": label_text(target.label), "libs": libs}
    return item, inputs

def file_item(path, file, target):
    """A plain file at `path`; the SBOM lists it if it is an ELF object (a native library)."""
    derived = locked_inputs(target)
    item = {
        "kind": "file",
        "path": path,
        "file": file.path,
        "label": label_text(target.label),
        "derived_from": [locked_json(info) for info in derived],
    }
    return item, [file] + [info.lock for info in derived]

def write_contents(ctx, name, items, inputs):
    """Declares `<name>.contents.json` holding `items`; returns its LayerContentsInfo."""
    manifest = ctx.actions.declare_file(name + ".contents.json")
    ctx.actions.write(manifest, json.encode({"format": FORMAT, "version": 1, "items": items}))
    return LayerContentsInfo(manifest = manifest, inputs = depset([manifest] + inputs))
