"""The services of a release: {image name: image target}.

Every `<service>_image` (an oci_image, e.g. from py_image) under shuffler/services/ belongs
here: //:image_hashes, ./scripts/build_images.sh and //e2e:reproducibility cover exactly these,
and shuffler/services/services_test.sh (run by ./scripts/bazel_tests.sh) fails naming any image
target under shuffler/services/ that is missing.
"""

SERVICES = {
    "aggregator": "//shuffler/services/aggregator:aggregator_image",
    "collector": "//shuffler/services/collector:collector_image",
    "model_updater": "//shuffler/services/modelupdater:model_updater_image",
    "task_assignment": "//shuffler/services/taskassignment:task_assignment_image",
    "task_builder": "//shuffler/services/taskbuilder:task_builder_image",
    "task_management": "//shuffler/services/taskmanagement:task_management_image",
    "task_scheduler": "//shuffler/services/taskscheduler:task_scheduler_image",
}
