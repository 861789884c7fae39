"""Providers shared by the rules."""

LayerInfo = provider(
    doc = "One normalized image layer, as written by the layer writer.",
    fields = {
        "blob": "File: the layer blob (tar, tar+gzip or tar+zstd).",
        "descriptor": "File: canonical JSON {mediaType, digest, size, diffID}.",
    },
)

OciImageInfo = provider(
    doc = "An OCI image layout written by oci_image.",
    fields = {
        "layout": "File (directory): the OCI image layout.",
        "digest": "File: `sha256:<hex>` of the image manifest.",
        "tag": "string: the ref name annotation of the layout's manifest.",
        "layers": "list of struct(descriptor: File, contents: LayerContentsInfo or None): the layers this " +
                  "rule knows of, base layers first (an OCI layout given as base contributes none).",
    },
)

SpringBootJarInfo = provider(
    doc = "A Spring Boot executable jar written by spring_boot_jar.",
    fields = {
        "jar": "File: the executable jar.",
        "start_class": "string: its Start-Class.",
        "lib_jars": "depset of File: the runtime jars given to BOOT-INF/lib/, in the Java classpath order " +
                    "(the jar itself lists them by name unless deps_use_starlark_order is set; starter and " +
                    "annotation-processor jars among them are left out of it).",
        "lib_names": "list of string: their file names in BOOT-INF/lib/, in the same order.",
        "lib_locked": "list of LockedFileInfo or None: for each of them, the lock entry it was fetched by " +
                      "(None for jars built in the workspace), in the same order.",
    },
)

LockedFileInfo = provider(
    doc = "A file fetched by sha256 from a committed lock (a Debian package, a Maven artifact): " +
          "what the evidence rules (SBOM, provenance) need to name it from the lock.",
    fields = {
        "file": "File: the artifact, byte for byte the locked one.",
        "lock": "File: the lock it comes from.",
        "lock_label": "string: the lock's label, as users write it.",
        "kind": "string: \"deb\" or \"maven\".",
        "key": "string: its key in the lock (Debian package name, or Maven `group:artifact[:packaging[:classifier]]`).",
    },
)

LockedInputsInfo = provider(
    doc = "The locked files a target was made from (locked_inputs_aspect): Maven jars on a Java " +
          "classpath, the jar a native library was extracted from.",
    fields = {"files": "depset of LockedFileInfo"},
)

LayerContentsInfo = provider(
    doc = "What a layer holds, for the SBOM: a JSON manifest written at analysis time (the " +
          "components and where their evidence is: .deb files, locks, jars, dist-info, mode records) " +
          "and the files it names. See tools/evidence/README.md for its format.",
    fields = {
        "manifest": "File: the layer contents manifest.",
        "inputs": "depset of File: every file the manifest names.",
    },
)

ImagePublishInfo = provider(
    doc = "What an image_publish target pushes, for image_publish_set.",
    fields = {
        "layout": "File (directory): the OCI image layout.",
        "repository": "string: the default `HOST[:PORT]/PATH` (may be empty).",
        "tags": "list of string: the default tags.",
        "mount_from": "list of string: repositories shared blobs may be mounted from.",
        "sbom": "File or None: the SBOM to attach as a referrer.",
        "provenance": "File or None: the provenance envelope to attach as a referrer.",
    },
)
