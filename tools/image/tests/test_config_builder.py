from tools.image.config_builder import build_config, merge_env
from tools.image.spec import EPOCH, ImageSpec

BASE = {
    "architecture": "amd64",
    "os": "linux",
    "created": "2023-05-06T07:08:09.123456789Z",
    "author": "someone",
    "config": {
        "Env": ["PATH=/usr/bin", "LANG=C", "HOME=/root"],
        "Labels": {"a": "1", "b": "2"},
        "Cmd": ["/bin/sh"],
        "Entrypoint": None,
        "ExposedPorts": {"22/tcp": {}},
        "User": "1000",
        "WorkingDir": "/srv",
        "StopSignal": "SIGTERM",
        "Volumes": None,
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
    "history": [
        {"created": "2023-05-06T07:08:09Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in /"},
        {"created": "2023-05-06T07:08:10Z", "created_by": "CMD [\"/bin/sh\"]", "empty_layer": True},
    ],
}
OURS = "sha256:" + "2" * 64


def test_merge_env_keeps_base_order_and_appends_new_keys_in_given_order():
    assert merge_env(["PATH=/usr/bin", "LANG=C", "HOME=/root"], ["Z=1", "LANG=C.UTF-8", "A=2", "Z=3"]) == [
        "PATH=/usr/bin", "LANG=C.UTF-8", "HOME=/root", "Z=3", "A=2"]


def test_merge_env_does_not_confuse_prefix_keys():
    assert merge_env(["PATH=/a"], ["PATH_EXTRA=/b"]) == ["PATH=/a", "PATH_EXTRA=/b"]


def test_base_config_is_merged_and_all_times_are_fixed():
    spec = ImageSpec(env=["LANG=C.UTF-8", "NEW=x"], labels={"b": "20", "c": "3"}, exposed_ports=["8080/tcp"])
    config = build_config(spec, BASE, BASE["rootfs"]["diff_ids"], [OURS])
    run = config["config"]
    assert run["Env"] == ["PATH=/usr/bin", "LANG=C.UTF-8", "HOME=/root", "NEW=x"]
    assert run["Labels"] == {"a": "1", "b": "20", "c": "3"}
    assert run["ExposedPorts"] == {"22/tcp": {}, "8080/tcp": {}}
    assert run["Cmd"] == ["/bin/sh"] and run["User"] == "1000" and run["WorkingDir"] == "/srv"
    assert run["StopSignal"] == "SIGTERM"
    assert "Entrypoint" not in run and "Volumes" not in run  # nulls are dropped, never written
    assert config["created"] == EPOCH
    assert config["author"] == "someone"
    assert [h["created"] for h in config["history"]] == [EPOCH] * 3
    assert config["history"][1]["empty_layer"] is True
    assert config["history"][2] == {"created": EPOCH, "created_by": "reproimage layer 1"}
    assert config["rootfs"] == {"type": "layers", "diff_ids": ["sha256:" + "1" * 64, OURS]}


def test_base_is_not_modified():
    before = repr(BASE)
    build_config(ImageSpec(env=["A=1"], labels={"x": "y"}, cmd=[]), BASE, BASE["rootfs"]["diff_ids"], [])
    assert repr(BASE) == before


def test_empty_values_clear_and_none_inherits():
    config = build_config(ImageSpec(cmd=[], user="", workdir=""), BASE, [], [])
    run = config["config"]
    assert "Cmd" not in run and "User" not in run and "WorkingDir" not in run
    assert run["Labels"] == {"a": "1", "b": "2"}


def test_entrypoint_without_cmd_clears_the_base_cmd():
    run = build_config(ImageSpec(entrypoint=["/app/run"]), BASE, [], [])["config"]
    assert run["Entrypoint"] == ["/app/run"] and "Cmd" not in run
    run = build_config(ImageSpec(entrypoint=["/app/run"], cmd=["--serve"]), BASE, [], [])["config"]
    assert run["Entrypoint"] == ["/app/run"] and run["Cmd"] == ["--serve"]


def test_no_base_no_settings_omits_empty_fields():
    config = build_config(ImageSpec(), None, [], [])
    assert config == {"architecture": "amd64", "os": "linux", "created": EPOCH,
                      "rootfs": {"type": "layers", "diff_ids": []}}


def test_created_override_applies_everywhere():
    config = build_config(ImageSpec(created="2024-01-02T03:04:05Z"), BASE, BASE["rootfs"]["diff_ids"], [OURS])
    assert config["created"] == "2024-01-02T03:04:05Z"
    assert {h["created"] for h in config["history"]} == {"2024-01-02T03:04:05Z"}
