"""The task_assignment image: base + one application layer, and the service answering from it."""

from __future__ import annotations

from tools.testing import oci_tools, service_image

LAYOUT = "shuffler/services/taskassignment/task_assignment_image"
TASKS = "--task keyboard:small:100:256:1 --task keyboard:big:120:1024:3 --task keyboard:also-big:120:512:3"


image, service = service_image.fixtures(LAYOUT, TASKS)


def test_two_layers_and_the_jar_where_the_entrypoint_looks(image):
    rootfs, config = image
    assert len(oci_tools.layout_layers(LAYOUT)) == 2
    assert config["Entrypoint"] == ["java", "-XX:MaxRAMPercentage=75", "-jar", "/task_assignment_application.jar"]
    assert config["User"] == "65532"
    assert config["Labels"]["tee.launch_policy.allow_env_override"] == "FCP_OPTS"
    assert not any(e.startswith("FCP_OPTS=") for e in config["Env"])
    app = oci_tools.layer_paths(oci_tools.layout_layers(LAYOUT)[1])
    assert [p for p in app if not p.endswith("/")] == ["task_assignment_application.jar"]


def test_health(service):
    response = service.get("/actuator/health")
    assert (response.status, response.json()) == (200, {"status": "UP"})


def test_assigns_by_eligibility_and_capacity(service):
    path = "/taskassignment/v1/populations/keyboard/assignments"
    first = service.post_json(path, {"client_id": "d1", "client_version": 130, "memory_mb": 2048}).json()
    assert (first["assigned"], first["task_id"], first["remaining_capacity"]) == (True, "also-big", 2)
    second = service.post_json(path, {"client_id": "d2", "client_version": 130, "memory_mb": 2048}).json()
    assert second["task_id"] == "big"
    assert service.post_json(path, {"client_id": "d1", "client_version": 130, "memory_mb": 2048}).json() == first
    old = service.post_json(path, {"client_id": "old", "client_version": 110, "memory_mb": 4096}).json()
    assert old["task_id"] == "small"
    none = service.post_json(path, {"client_id": "tiny", "client_version": 999, "memory_mb": 1}).json()
    assert none == {"assigned": False, "reason": "no eligible task with capacity"}
    assert service.get("/taskassignment/v1/populations/keyboard/capacity").json() == {
        "small": 0, "big": 2, "also-big": 2}


def test_bad_request_is_a_400(service):
    response = service.post_json("/taskassignment/v1/populations/keyboard/assignments", {"client_version": 1})
    assert response.status == 400
    assert response.json() == {"error": "client_id is required"}


def test_bad_fcp_opts_stop_the_service_with_a_clear_message(image):
    rootfs, config = image
    env = dict(item.split("=", 1) for item in config["Env"])
    env["FCP_OPTS"] = "--task not-a-task"
    result = oci_tools.run_in_rootfs(rootfs, config["Entrypoint"], env=env, user=config["User"])
    assert result.returncode == 2, result.stderr.decode()
    assert result.stderr.decode() == "FCP_OPTS: --task not-a-task: expected population:task_id:min_client_version:min_memory_mb:capacity\n"
