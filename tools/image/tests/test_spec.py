import json

import pytest

from tools.common.errors import UserError
from tools.image.spec import ImageSpec, LayerInput, check_created, check_tag, load_config_spec, normalize_port


@pytest.mark.parametrize("given,expected", [("8080", "8080/tcp"), ("53/udp", "53/udp"), ("0443/tcp", "443/tcp")])
def test_ports_are_normalized(given, expected):
    assert normalize_port(given, "x") == expected


@pytest.mark.parametrize("bad", ["0", "65536", "http", "80/icmp", "", "80/"])
def test_bad_ports_are_rejected(bad):
    with pytest.raises(UserError, match="exposed port"):
        normalize_port(bad, "x")


@pytest.mark.parametrize("good", ["1970-01-01T00:00:00Z", "2024-02-29T12:00:00.5+02:00"])
def test_created_accepts_rfc3339(good):
    check_created(good, "x")


@pytest.mark.parametrize("bad", ["1970-01-01", "2023-02-30T00:00:00Z", "yesterday", "1970-01-01 00:00:00Z"])
def test_created_rejects_other_text(bad):
    with pytest.raises(UserError, match="RFC 3339"):
        check_created(bad, "x")


@pytest.mark.parametrize("good", ["latest", "v1.2.3", "example.com/app:1.0", "a--b", "1"])
def test_tags(good):
    check_tag(good, "x")


@pytest.mark.parametrize("bad", ["", "a b", "-a", "a..b", "a/", "ä"])
def test_bad_tags(bad):
    with pytest.raises(UserError, match="tag"):
        check_tag(bad, "x")


def test_env_entries_need_a_key():
    with pytest.raises(UserError, match="KEY=VALUE"):
        ImageSpec(env=["=1"]).validate("flags")
    with pytest.raises(UserError, match="KEY=VALUE"):
        ImageSpec(env=["NOVALUE"]).validate("flags")
    ImageSpec(env=["EMPTY="]).validate("flags")


def test_config_spec_file_round_trip(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({
        "base": "base_dir",
        "layers": [{"blob": "l.tar.gz", "descriptor": "l.json"}],
        "entrypoint": ["/app/run"],
        "cmd": [],
        "env": ["A=1"],
        "labels": {"k": "v"},
        "annotations": {"org.example": "x"},
        "user": "65532",
        "workdir": "/app",
        "exposed_ports": ["8080"],
        "os": "linux",
        "architecture": "arm64",
        "created": "2000-01-01T00:00:00Z",
        "tag": "app",
    }))
    spec = load_config_spec(str(path))
    assert spec.layers == [LayerInput("l.tar.gz", "l.json")]
    assert spec.cmd == [] and spec.entrypoint == ["/app/run"]
    assert spec.exposed_ports == ["8080/tcp"]
    assert (spec.architecture, spec.tag, spec.created) == ("arm64", "app", "2000-01-01T00:00:00Z")


@pytest.mark.parametrize("content,message", [
    ('{"entrypoint": "/app/run"}', "field entrypoint must be a JSON list of strings"),
    ('{"labels": ["a=b"]}', "field labels"),
    ('{"layers": [{"blob": "x"}]}', "layers"),
    ('{"colour": "blue"}', "unknown field"),
    ('{"user": null}', "omit it"),
    ('[1]', "must be a JSON object"),
    ('{"env": ["A=1"],}', "not valid JSON"),
])
def test_bad_config_spec_names_the_file(tmp_path, content, message):
    path = tmp_path / "spec.json"
    path.write_text(content)
    with pytest.raises(UserError, match=message) as info:
        load_config_spec(str(path))
    assert str(path) in str(info.value)
