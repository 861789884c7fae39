"""What the services' BUILD files share: launch-policy labels, Spring dependencies, the publish target."""

load("//rules:defs.bzl", "image_publish")

# The Confidential Space launch policy of every TEE workload: options arrive through FCP_OPTS at
# run time (nothing run-time is baked into the image), logs go to the console, memory is monitored.
TEE_LABELS = {
    "tee.launch_policy.allow_env_override": "FCP_OPTS",
    "tee.launch_policy.log_redirect": "always",
    "tee.launch_policy.monitoring_memory_allow": "always",
}

# What a Spring Boot web service compiles against, besides its own code.
SPRING_WEB_DEPS = [
    "//shuffler/common",
    "@maven_spring//:com_beust_jcommander",
    "@maven_spring//:org_springframework_boot_spring_boot_autoconfigure",
    "@maven_spring//:org_springframework_spring_context",
    "@maven_spring//:org_springframework_spring_web",
]

# The starters it runs with (embedded Tomcat, health endpoint).
SPRING_WEB_RUNTIME_DEPS = [
    "@maven_spring//:org_springframework_boot_spring_boot_starter_actuator",
    "@maven_spring//:org_springframework_boot_spring_boot_starter_web",
]

def service_image_publish(service, remote_tags = ["latest"]):
    """`<service>_image_publish`: pushes `:<service>_image` to localhost:5000/fcp/<service>.

    `bazel run //shuffler/services/<dir>:<service>_image_publish -- --repository R --tag T`
    publishes elsewhere; //:publish_all and the e2e tests use these targets.

    Args:
      service: the service's name, as in `SERVICES` (services.bzl).
      remote_tags: tags applied after the push by digest.
    """
    image_publish(
        name = service + "_image_publish",
        image = ":%s_image" % service,
        remote_tags = remote_tags,
        repository = "localhost:5000/fcp/" + service,
        visibility = [
            "//:__pkg__",
            "//e2e:__subpackages__",
        ],
    )
