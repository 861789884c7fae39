"""`oci_image`: the image rule plus its evidence targets, so every image has them."""

load(":image_provenance.bzl", "image_provenance")
load(":image_sbom.bzl", "image_sbom")
load(":image_tarball.bzl", "image_tarball")
load(":oci_image.bzl", _oci_image_rule = "oci_image")

def default_repo_tags(name, tag = "latest"):
    """`<name less _image>:<tag>`: what `docker load` names an image by default."""
    base = name[:-len("_image")] if name.endswith("_image") else name
    return ["%s:%s" % (base.lower(), tag)]

def image_evidence(name, image, repo_tags = None, testonly = None, visibility = None, tags = None):
    """The evidence targets of `image`: `<name>_sbom`, `<name>_provenance` and `<name>_tarball`.

    Made by `oci_image` (and so by `py_image` and `java_service_image`) for every image; call it
    for an image made by another rule that provides OciImageInfo.

    Args:
      name: prefix of the targets (the image's name).
      image: the image target.
      repo_tags: of the tarball (default `<name less _image>:latest`).
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
    image_provenance(
        name = name + "_provenance",
        image = image,
        image_name = name,
        sbom = ":" + name + "_sbom",
        testonly = testonly,
        visibility = visibility,
        tags = tags,
    )
    image_tarball(
        name = name + "_tarball",
        image = image,
        repo_tags = repo_tags or default_repo_tags(name),
        testonly = testonly,
        visibility = visibility,
        tags = tags,
    )

def oci_image(name, repo_tags = None, **kwargs):
    """An OCI image layout `<name>/` and `<name>.digest`, with its evidence.

    The image is the `oci_image` rule (see its attributes below: base, tars, entrypoint, cmd,
    env, labels, annotations, user, workdir, exposed_ports, os, architecture, tag). Beside it
    come `<name>_sbom` (SPDX 2.3 JSON, `image_sbom`), `<name>_provenance` (SLSA provenance v1 in
    a DSSE envelope, `image_provenance`; `bazel run` signs it) and `<name>_tarball` (for
    `docker load`, `image_tarball`; `bazel run` loads it). None of them changes a byte of the image.

    Args:
      name: the image target.
      repo_tags: `NAME:TAG`s of the tarball (default `<name less _image>:<tag>`).
      **kwargs: attributes of the oci_image rule and common attributes.
    """
    _oci_image_rule(name = name, **kwargs)
    image_evidence(
        name,
        ":" + name,
        repo_tags = repo_tags or default_repo_tags(name, kwargs.get("tag") or "latest"),
        testonly = kwargs.get("testonly"),
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags"),
    )
