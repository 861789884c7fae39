"""`oci_image`: the image rule plus its evidence targets, so every image has them."""

load(":image_sbom.bzl", "image_sbom")
load(":oci_image.bzl", _oci_image_rule = "oci_image")

def image_evidence(name, image, testonly = None, visibility = None, tags = None):
    """The evidence targets of `image`: `<name>_sbom`.

    Made by `oci_image` (and so by `py_image` and `java_service_image`) for every image; call it
    for an image made by another rule that provides OciImageInfo.

    Args:
      name: prefix of the targets (the image's name).
      image: the image target.
      testonly: as the image.
      visibility: as the image.
      tags: as the image.
    """
    image_sbom(
        name = name + "_sbom",
        image = image,
        image_name = name,
        testonly = testonly,
        visibility = visibility,
        tags = tags,
    )

def oci_image(name, **kwargs):
    """An OCI image layout `<name>/` and `<name>.digest`, with its evidence.

    The image is the `oci_image` rule (see its attributes below: base, tars, entrypoint, cmd,
    env, labels, annotations, user, workdir, exposed_ports, os, architecture, tag). Beside it
    come `<name>_sbom` (SPDX 2.3 JSON, `image_sbom`). None of them changes a byte of the image.

    Args:
      name: the image target.
      **kwargs: attributes of the oci_image rule and common attributes.
    """
    _oci_image_rule(name = name, **kwargs)
    image_evidence(
        name,
        ":" + name,
        testonly = kwargs.get("testonly"),
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags"),
    )
