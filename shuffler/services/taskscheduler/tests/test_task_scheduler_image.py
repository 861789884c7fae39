"""The task_scheduler image: the JNI services' native libraries and Debian layers, no TEE labels;
a round's decision from the norm of the natively averaged update."""

from __future__ import annotations

import pytest

from tools.testing import federated, oci_tools, service_image

LAYOUT = "shuffler/services/taskscheduler/task_scheduler_image"
DECISION = "/taskscheduler/v1/tasks/t1/rounds/{round}/decision"


image, service = service_image.fixtures(LAYOUT)


def test_same_native_libraries_and_layers_but_no_launch_policy(image):
    _, config = image
    assert not any(label.startswith("tee.") for label in config.get("Labels") or {})
    assert len(oci_tools.layout_layers(LAYOUT)) == 9


def test_decisions_follow_the_natively_averaged_norm(service):
    small = [federated.update(1, [0.01, 0.0]), federated.update(1, [0.0, 0.01])]
    large = [federated.update(1, [3.0, 4.0]), federated.update(1, [3.0, 4.0])]
    wait = service.post_json(DECISION.format(round=1), {"updates": small[:1], "min_clients": 2,
                                                        "convergence_norm": 0.1}).json()
    assert (wait["decision"], wait["clients"]) == ("WAIT", 1)
    going = service.post_json(DECISION.format(round=2), {"updates": large, "min_clients": 2,
                                                         "convergence_norm": 0.1}).json()
    assert going["decision"] == "NEXT_ROUND"
    assert going["update_norm"] == pytest.approx(5.0, rel=1e-6)
    done = service.post_json(DECISION.format(round=3), {"updates": small, "min_clients": 2,
                                                        "convergence_norm": 0.1}).json()
    assert done["decision"] == "COMPLETE"
    expected = federated.l2_norm(federated.clipped_mean([(1, [0.01, 0.0]), (1, [0.0, 0.01])]))
    assert done["update_norm"] == pytest.approx(expected, rel=1e-6)
    clipped = service.post_json(DECISION.format(round=4), {"updates": large, "clip_norm": 1.0, "min_clients": 2,
                                                           "convergence_norm": 0.1}).json()
    assert clipped["update_norm"] == pytest.approx(1.0, rel=1e-6)
