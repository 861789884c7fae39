"""`java_service_image`: a Spring Boot service as an image: Java base, Debian layers, one app layer."""

load(":image_layer.bzl", "image_layer")
load(":image.bzl", "oci_image")
load(":spring_boot_jar.bzl", "spring_boot_jar")

# JVM flags of every service: a container's memory limit, not the host's, sizes the heap.
DEFAULT_JVM_FLAGS = ["-XX:MaxRAMPercentage=75"]

# An unprivileged user, as distroless images use; the base has no passwd entry for it.
DEFAULT_USER = "65532"

def java_service_image(
        name,
        service,
        java_library,
        main_class,
        boot_loader = Label("@maven_spring//:org_springframework_boot_spring_boot_loader"),
        base = Label("//toolchains/images:java_base"),
        deb_layers = [],
        native_libs = {},
        jvm_flags = DEFAULT_JVM_FLAGS,
        user = DEFAULT_USER,
        exposed_ports = ["8080/tcp"],
        compression = "gzip",
        **kwargs):
    """An OCI image running a Spring Boot service: base + Debian layers + `binary_tar`.

    Makes `<service>_application` (a `spring_boot_jar` writing `<service>_application.jar`),
    `<name>_binary_tar` (the application layer) and `<name>` (the `oci_image`, with
    `<name>.digest`). Without native libraries the jar is `/<service>_application.jar` and the
    entrypoint `java <jvm_flags> -jar /<service>_application.jar`. With them, the jar and the
    `.so` files go to `/<service>/`, the working directory, and the entrypoint is
    `java <jvm_flags> -Djava.library.path=. -jar <service>_application.jar`, so the relative
    paths resolve there. Runtime options come from `FCP_OPTS` when the image starts, never from
    the image.

    ```starlark
    java_service_image(
        name = "aggregator_image",
        service = "aggregator",
        java_library = ":aggregator_lib",
        main_class = "org.fcp.shuffler.aggregator.AggregatorApplication",
        deb_layers = JNI_RUNTIME_LAYERS,  # from @jni_runtime//:packages.bzl
        native_libs = {"//shuffler/native/aggregation:aggregation-jni": "libaggregation-jni.so"},
        labels = TEE_LABELS,
    )
    ```

    Args:
      name: the image target, `<service>_image` by convention.
      service: the service's name (`task_assignment`): names the jar and the directory.
      java_library: the service's java_library (with its Spring runtime dependencies).
      main_class: the Spring application class (the jar's Start-Class).
      boot_loader: the spring-boot-loader jar target.
      base: the base image (default: the Java 17 runtime from the snapshot lock).
      deb_layers: layers after the base, one per Debian package, in order.
      native_libs: {target giving one `.so`: its file name in the image}; empty for none.
      jvm_flags: JVM flags before `-jar`.
      user: the image's user.
      exposed_ports: ports like "8080/tcp".
      compression: compression of the application layer.
      **kwargs: further oci_image attributes (labels, env, annotations, tag, visibility, ...).
    """
    jar = service + "_application"
    spring_boot_jar(
        name = jar,
        out = jar + ".jar",
        java_library = java_library,
        boot_app_class = main_class,
        boot_loader = boot_loader,
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags"),
    )
    if native_libs:
        directory = service
        files = {":" + jar: jar + ".jar"}
        files.update(native_libs)
        entrypoint = ["java"] + jvm_flags + ["-Djava.library.path=.", "-jar", jar + ".jar"]
        workdir = "/" + directory
    else:
        directory = ""
        files = {":" + jar: jar + ".jar"}
        entrypoint = ["java"] + jvm_flags + ["-jar", "/" + jar + ".jar"]
        workdir = "/"
    image_layer(
        name = name + "_binary_tar",
        files = {label: file_name for label, file_name in files.items()},
        prefix = directory,
        # The service writes nothing of its own; Tomcat needs a writable temporary directory.
        modes = {"tmp": "1777"},
        compression = compression,
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags"),
    )
    oci_image(
        name = name,
        base = base,
        tars = deb_layers + [":" + name + "_binary_tar"],
        entrypoint = entrypoint,
        workdir = workdir,
        user = user,
        exposed_ports = exposed_ports,
        **kwargs
    )
