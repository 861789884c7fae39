"""The model_updater image: the aggregated update applied in TensorFlow (its prebuilt JNI library
from Maven Central) inside the image, with nothing of the host."""

from __future__ import annotations

import hashlib

from tools.testing import federated, oci_tools, service_image

LAYOUT = "shuffler/services/modelupdater/model_updater_image"


image, service = service_image.fixtures(LAYOUT, "--max_versions 4")


def test_binary_tar_holds_the_jar_and_every_native_library(image):
    layers = oci_tools.layout_layers(LAYOUT)
    app = sorted(p for p in oci_tools.layer_paths(layers[-1]) if not p.endswith("/"))
    assert app == ["model_updater/libaggregation-jni.so", "model_updater/libtensorflow_framework.so.1",
                   "model_updater/libtensorflow_jni.so", "model_updater/model_updater_application.jar"]
    _, config = image
    assert config["WorkingDir"] == "/model_updater"


def test_tensorflow_update_gives_the_expected_weights(service):
    weights = [1.0, 2.0, 3.0, -4.0]
    updates = [(1.0, [2.0, -2.0, 0.5, 0.0]), (3.0, [6.0, 2.0, 0.5, 8.0])]
    lr = 0.5
    response = service.post_json("/modelupdater/v1/models/keyboard/updates", {
        "weights": [{"name": "w", "shape": [4], "values": weights}],
        "updates": [federated.update(w, v) for w, v in updates],
        "learning_rate": lr,
    }).json()
    mean = [federated.float32(v) for v in federated.clipped_mean(updates)]
    expected = [federated.float32(w + federated.float32(lr * d)) for w, d in zip(weights, mean)]
    assert response["tensors"][0]["values"] == expected
    assert response["tensorflow_version"] == "1.15.0"
    assert response["version"] == 1
    saved = service.request("GET", "/modelupdater/v1/models/keyboard/versions/1")
    assert saved.status == 200
    assert hashlib.sha256(saved.body).hexdigest() == response["checkpoint_sha256"]


def test_a_mismatched_model_is_a_400(service):
    response = service.post_json("/modelupdater/v1/models/keyboard/updates", {
        "weights": [{"name": "w", "shape": [2], "values": [1, 2]}],
        "updates": [federated.update(1, [1, 2, 3])],
        "learning_rate": 1.0,
    })
    assert response.status == 400 and "the model has w[2], the update w[3]" in response.json()["error"]
    assert service.get("/modelupdater/v1/models/keyboard/versions/99").status == 404
