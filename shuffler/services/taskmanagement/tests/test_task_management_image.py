"""The task_management image: base + one application layer, and the service answering from it."""

from __future__ import annotations

from tools.testing import oci_tools, service_image

LAYOUT = "shuffler/services/taskmanagement/task_management_image"
TASKS = "/taskmanagement/v1/populations/keyboard/tasks"


image, service = service_image.fixtures(LAYOUT, "--max_tasks 3")


def test_two_layers_and_the_jar_where_the_entrypoint_looks(image):
    _, config = image
    assert len(oci_tools.layout_layers(LAYOUT)) == 2
    assert config["Entrypoint"] == ["java", "-XX:MaxRAMPercentage=75", "-jar", "/task_management_application.jar"]
    assert config["WorkingDir"] == "/" and config["User"] == "65532"


def test_health(service):
    assert service.get("/actuator/health").json() == {"status": "UP"}


def test_a_task_goes_through_its_states(service):
    created = service.post_json(TASKS, {"min_client_version": 100, "rounds": 10, "clients_per_round": 50})
    assert created.status == 201
    task = created.json()
    assert (task["state"], task["history"]) == ("CREATED", ["CREATED"])
    path = f"{TASKS}/{task['task_id']}"
    assert service.post_json(path + "/transitions", {"to": "OPEN"}).json()["state"] == "OPEN"
    done = service.post_json(path + "/transitions", {"to": "COMPLETED"}).json()
    assert done["history"] == ["CREATED", "OPEN", "COMPLETED"]
    assert service.get(path).json() == done
    refused = service.post_json(path + "/transitions", {"to": "OPEN"})
    assert refused.status == 409
    assert "is COMPLETED and cannot become OPEN (a final state)" in refused.json()["error"]
    assert task["task_id"] in [t["task_id"] for t in service.get(TASKS).json()]


def test_bad_requests(service):
    assert service.post_json(TASKS, {"min_client_version": 1, "rounds": 0, "clients_per_round": 5}).status == 400
    assert service.get(f"{TASKS}/9999").status == 404
    task = service.post_json(TASKS, {"min_client_version": 1, "rounds": 1, "clients_per_round": 1}).json()
    bogus = service.post_json(f"{TASKS}/{task['task_id']}/transitions", {"to": "PAUSED"})
    assert bogus.status == 400 and "unknown state PAUSED" in bogus.json()["error"]


def test_the_store_keeps_at_most_max_tasks(service):
    statuses = [service.post_json(TASKS, {"min_client_version": 1, "rounds": 1, "clients_per_round": 1}).status
                for _ in range(3)]
    assert statuses[-1] == 409, statuses
