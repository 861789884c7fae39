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
