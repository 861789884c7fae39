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
    },
)

ImagePublishInfo = provider(
    doc = "What an image_publish target pushes, for image_publish_set.",
    fields = {
        "layout": "File (directory): the OCI image layout.",
        "repository": "string: the default `HOST[:PORT]/PATH` (may be empty).",
        "tags": "list of string: the default tags.",
        "mount_from": "list of string: repositories shared blobs may be mounted from.",
    },
)
