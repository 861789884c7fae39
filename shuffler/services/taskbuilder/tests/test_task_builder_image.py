"""The task_builder image: four layers (base, then py_image's interpreter, packages and
application), and the service answers from the unpacked image with nothing of the host (no
Python, no PATH) available to it."""

from __future__ import annotations

import json
import os

import pytest

from shuffler.services.taskbuilder import task_builder_lib
from tools.testing import oci_tools, service_image

LAYOUT = "shuffler/services/taskbuilder/task_builder_image"
RUNFILES = "task_builder/task_builder.runfiles/"
INTERPRETER = RUNFILES + "_main~deb~python_interpreter/"
REQUEST = {
    "population_name": "keyboard/en-us",
    "model": {"uri": "gs://models/next-word/v3", "sha256": "ab" * 32},
    "rounds": 50,
    "clients_per_round": 200,
    "aggregation": "secure_aggregation",
}


def _files(paths: list[str]) -> list[str]:
    """Non-directory members (the parents each layer repeats are not what it is for)."""
    return [p for p in paths if not p.endswith("/")]


@pytest.fixture(scope="module")
def layers() -> list[list[str]]:
    return [oci_tools.layer_paths(blob) for blob in oci_tools.layout_layers(LAYOUT)]


def test_four_layers(layers):
    assert len(layers) == 4


def test_base_layer_is_debian_packages(layers):
    base = _files(layers[0])
    assert "var/lib/dpkg/status.d/libc6" in base
    assert "etc/ssl/certs/ca-certificates.crt" in base
    assert not any(p.startswith("task_builder/") for p in base)


def test_interpreter_layer_holds_only_the_interpreter(layers):
    files = _files(layers[1])
    assert INTERPRETER + "usr/bin/python3.11" in files
    assert all(p.startswith(INTERPRETER) for p in files), [p for p in files if not p.startswith(INTERPRETER)][:5]


def test_packages_layer_holds_only_site_packages(layers):
    files = _files(layers[2])
    assert any("/site-packages/pydantic/" in p for p in files)
    assert any("/site-packages/pydantic_core/" in p for p in files)
    assert all(p.startswith(RUNFILES) and "/site-packages/" in p for p in files)


def test_application_layer_holds_launcher_manifest_and_sources(layers):
    files = _files(layers[3])
    assert "task_builder/task_builder" in files
    assert "task_builder/task_builder.runfiles_manifest" in files
    assert RUNFILES + "_main/shuffler/services/taskbuilder/task_builder_lib.py" in files
    assert not any("/site-packages/" in p or p.startswith(INTERPRETER) for p in files)


def test_configuration(layers):
    config = oci_tools.skopeo_inspect(LAYOUT, config=True)["config"]
    assert config["Entrypoint"] == ["/task_builder/task_builder"]
    assert config["User"] == "65532"
    assert config["Labels"] == {
        "tee.launch_policy.allow_env_override": "FCP_OPTS",
        "tee.launch_policy.log_redirect": "always",
        "tee.launch_policy.monitoring_memory_allow": "always",
    }
    assert not any(e.startswith("FCP_OPTS=") for e in config["Env"])


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory) -> str:
    return oci_tools.umoci_unpack(LAYOUT, str(tmp_path_factory.mktemp("image") / "bundle"))


def test_entrypoint_answers_with_no_python_on_the_path(rootfs):
    assert not os.path.exists(os.path.join(rootfs, "usr/bin/python3"))
    result = oci_tools.run_in_rootfs(rootfs, ["/task_builder/task_builder", "--stdin"],
                                     input=json.dumps(REQUEST).encode())
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == task_builder_lib.handle(json.dumps(REQUEST))


def test_bad_request_is_refused_by_the_image(rootfs):
    result = oci_tools.run_in_rootfs(rootfs, ["/task_builder/task_builder", "--stdin"],
                                     input=json.dumps(dict(REQUEST, rounds=0)).encode())
    assert result.returncode == 2
    assert b"rounds: Input should be greater than or equal to 1" in result.stderr


def test_server_takes_its_options_from_fcp_opts(tmp_path):
    rootfs, config = service_image.unpack(LAYOUT, str(tmp_path / "bundle"))
    with service_image.running(rootfs, config, lambda port: f"--host 127.0.0.1 --port {port}", "/healthz") as server:
        assert server.get("/healthz").json() == {"status": "ok"}
        assert server.post_json("/tasks", REQUEST).json() == task_builder_lib.handle(json.dumps(REQUEST))


def test_repository_mapping_names_only_repositories_of_the_tree(rootfs):
    tree = os.path.join(rootfs, RUNFILES)
    with open(os.path.join(tree, "_repo_mapping"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert ",taskbuilder_pypi_pydantic,rules_python~~pip~taskbuilder_pypi_pydantic" in "\n".join(lines)
    present = set(os.listdir(tree))
    for line in lines:
        source, _, target = line.split(",")
        assert (source or "_main") in present and target in present, line
