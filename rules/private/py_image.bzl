"""Macros that split a py_binary into image layers: interpreter, packages, application."""

load(":image_layer.bzl", "image_layer")
load(":image.bzl", "oci_image")

# Ordered from least to most often changed, so a source edit rebuilds and re-pushes one layer.
PY_LAYER_PARTS = ["interpreter", "packages", "application"]

def py_image_layers(name, binary, binary_path = None, compression = "gzip", **kwargs):
    """Three layers for a py_binary: `<name>_interpreter`, `<name>_packages`, `<name>_application`.

    - interpreter: `<binary_path>.runfiles/<interpreter repository>/**` (the hermetic CPython);
    - packages: `<binary_path>.runfiles/**/site-packages/**` (locked pip packages);
    - application: the launcher `<binary_path>` (its `#!` pointing at the interpreter in the image),
      `<binary_path>.runfiles_manifest` and everything else in the runfiles: the program's own files.

    Args:
      name: prefix of the three targets.
      binary: a py_binary.
      binary_path: where the launcher goes (default `<binary name>/<binary name>`).
      compression: layer compression.
      **kwargs: common attributes (visibility, tags, ...).

    Returns:
      The three layer labels, in image order.
    """
    layers = []
    for part in PY_LAYER_PARTS:
        image_layer(
            name = "%s_%s" % (name, part),
            binary = binary,
            binary_path = binary_path,
            runfiles_part = part,
            python_launcher = part == "application",
            compression = compression,
            **kwargs
        )
        layers.append(":%s_%s" % (name, part))
    return layers

def py_image(name, binary, base, binary_path = None, entrypoint = None, env = {}, compression = "gzip", **kwargs):
    """An OCI image running a py_binary: `base` + interpreter + packages + application layers.

    ```starlark
    py_image(
        name = "task_builder_image",
        binary = ":task_builder",
        base = "//toolchains/images:python_base",
        labels = {"tee.launch_policy.allow_env_override": "FCP_OPTS"},
    )
    ```

    Args:
      name: the image target (an oci_image, with `<name>.digest`).
      binary: a py_binary.
      base: the base image; it provides the C libraries the interpreter loads.
      binary_path: where the launcher goes (default `<binary name>/<binary name>`).
      entrypoint: default `["/<binary_path>"]`.
      env: environment; PYTHONDONTWRITEBYTECODE=1 is added so a read-only image stays unchanged.
      compression: layer compression.
      **kwargs: further oci_image attributes (labels, user, exposed_ports, tag, visibility, ...).
    """
    binary_name = native.package_relative_label(binary).name
    path = binary_path or "%s/%s" % (binary_name, binary_name)
    layers = py_image_layers(
        name = name + "_layer",
        binary = binary,
        binary_path = path,
        compression = compression,
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags"),
    )
    oci_image(
        name = name,
        base = base,
        tars = layers,
        entrypoint = entrypoint or ["/" + path],
        env = dict({"PYTHONDONTWRITEBYTECODE": "1"}, **env),
        **kwargs
    )
