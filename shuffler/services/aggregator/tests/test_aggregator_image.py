"""The aggregator image: Java base, one layer per JNI runtime package, binary_tar with the jar and
libaggregation-jni.so; the service averages client updates in native code, inside the image."""

from __future__ import annotations

import random

import pytest

from tools.testing import federated, oci_tools, service_image

LAYOUT = "shuffler/services/aggregator/aggregator_image"
AGGREGATE = "/aggregator/v1/aggregate"


image, service = service_image.fixtures(LAYOUT)


def test_layers_and_entrypoint(image):
    rootfs, config = image
    layers = oci_tools.layout_layers(LAYOUT)
    assert len(layers) == 1 + 7 + 1  # base, one per JNI runtime package, binary_tar
    assert config["Entrypoint"] == ["java", "-XX:MaxRAMPercentage=75", "-Djava.library.path=.", "-jar",
                                    "aggregator_application.jar"]
    assert config["WorkingDir"] == "/aggregator"
    assert config["Labels"]["tee.launch_policy.allow_env_override"] == "FCP_OPTS"
    app = [p for p in oci_tools.layer_paths(layers[-1]) if not p.endswith("/")]
    assert app == ["aggregator/aggregator_application.jar", "aggregator/libaggregation-jni.so"]


def test_health(service):
    assert service.get("/actuator/health").json() == {"status": "UP"}


def test_weighted_clipped_mean_is_numerically_right(service):
    rng = random.Random(11)
    updates = [(rng.uniform(0.5, 5), [rng.gauss(0, 3) for _ in range(64)]) for _ in range(7)]
    # float32 inputs, as the service receives them: the reference starts from the same values.
    updates = [(weight, [federated.float32(v) for v in values]) for weight, values in updates]
    clip = 10.0
    result = service.post_json(AGGREGATE, {"updates": [federated.update(w, v) for w, v in updates],
                                           "clip_norm": clip}).json()
    expected = federated.clipped_mean(updates, clip)
    got = result["tensors"][0]["values"]
    assert result["clients"] == 7 and len(got) == 64
    for k, (want, have) in enumerate(zip(expected, got)):
        assert abs(federated.float32(want) - have) <= abs(want) * 2**-23 + 1e-12, k
    assert result["norm"] == pytest.approx(federated.l2_norm(got), rel=1e-6)


def test_bad_input_is_a_400_from_the_native_check(service):
    mismatched = service.post_json(AGGREGATE, {"updates": [federated.update(1, [1, 2]), federated.update(1, [1])]})
    assert mismatched.status == 400 and "shape" in mismatched.json()["error"]
    negative = service.post_json(AGGREGATE, {"updates": [federated.update(-1, [1])]})
    assert negative.status == 400 and "weight" in negative.json()["error"]
    # The service is still up: a bad input is an exception, never a crash of the JVM.
    assert service.get("/actuator/health").status == 200
