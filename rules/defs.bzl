"""Public API of reproimage: deterministic OCI images with Bazel.

Rules and macros here are thin; their implementations live in `rules/private/`. Every byte of a
layer is written by one tool (`tools/layer`), every image by one other (`tools/image`), so the
determinism rules live in exactly two places; a Spring Boot jar, an input to a layer, is written
by a third (`tools/bootjar`).
"""

load("//rules/private:deb_layer.bzl", _deb_layer = "deb_layer")
load("//rules/private:image_hashes.bzl", "image_hashes_rule")
load("//rules/private:image_layer.bzl", _image_layer = "image_layer")
load("//rules/private:image_publish.bzl", _image_publish = "image_publish", _image_publish_rule = "image_publish_rule", _image_publish_set = "image_publish_set")
load("//rules/private:jar_files.bzl", _jar_files = "jar_files")
load("//rules/private:java_service_image.bzl", _java_service_image = "java_service_image")
load("//rules/private:image.bzl", _image_evidence = "image_evidence", _oci_image = "oci_image")
load("//rules/private:oci_image.bzl", _oci_image_rule = "oci_image")
load("//rules/private:image_provenance.bzl", _image_provenance = "image_provenance")
load("//rules/private:image_sbom.bzl", _image_sbom = "image_sbom")
load("//rules/private:image_tarball.bzl", _image_tarball = "image_tarball")
load(
    "//rules/private:providers.bzl",
    _LayerInfo = "LayerInfo",
    _OciImageInfo = "OciImageInfo",
    _SpringBootJarInfo = "SpringBootJarInfo",
)
load("//rules/private:py_image.bzl", _py_image = "py_image", _py_image_layers = "py_image_layers")
load("//rules/private:spring_boot_jar.bzl", _spring_boot_jar = "spring_boot_jar")

LayerInfo = _LayerInfo
deb_layer = _deb_layer
OciImageInfo = _OciImageInfo
image_evidence = _image_evidence
image_layer = _image_layer
image_provenance = _image_provenance
image_sbom = _image_sbom
image_tarball = _image_tarball
image_publish = _image_publish
image_publish_rule = _image_publish_rule
image_publish_set = _image_publish_set
jar_files = _jar_files
java_service_image = _java_service_image
oci_image = _oci_image
oci_image_rule = _oci_image_rule
py_image = _py_image
py_image_layers = _py_image_layers
SpringBootJarInfo = _SpringBootJarInfo
spring_boot_jar = _spring_boot_jar

def image_hashes(name, images, **kwargs):
    """The release manifest: `<name>.json` mapping each image's name to its digest.

    The JSON object is sorted by name, one `"name": "sha256:..."` per line; it is what
    `./scripts/build_images.sh` prints and what `//e2e:reproducibility` compares with the
    committed expectation.

    ```starlark
    image_hashes(
        name = "image_hashes",
        images = {"task_builder": "//shuffler/services/taskbuilder:task_builder_image"},
    )
    ```

    Args:
      name: target name; the output is `<name>.json`.
      images: {image name: oci_image label}.
      **kwargs: common attributes (visibility, tags, ...).
    """
    image_hashes_rule(
        name = name,
        images = {label: image_name for image_name, label in images.items()},
        **kwargs
    )
