"""The diff explainer on real assembled layouts, through the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pytest

from tools.common.errors import UserError
from tools.image.explain import explain, parse_reference
from tools.image.tests.fixtures import IMAGE_DIFF, Entry, build_image, merge_into_index, run_tool, write_layer

COMMON = [Entry("etc", type="dir"), Entry("etc/hostname", b"box\n")]


def app_entries(data: bytes = b"hello world\n", mtime: int = 0, extra: Sequence[Entry] = ()) -> list[Entry]:
    return [Entry("app", type="dir"), Entry("app/a.txt", b"a\n"), Entry("app/data.txt", data, mtime=mtime),
            Entry("app/z.txt", b"z\n"), *extra]


def image(root: Path, name: str, entries: list[Entry], compression: str = "gzip", gzip_mtime: int = 0,
          **spec) -> Path:
    layers = [write_layer(root / name, "common", COMMON),
              write_layer(root / name, "app", entries, compression=compression, gzip_mtime=gzip_mtime)]
    out = root / name / "image"
    build_image(out, layers, **spec)
    return out


def test_identical_images(tmp_path):
    a = image(tmp_path, "a", app_entries(), labels={"x": "1"})
    b = image(tmp_path, "b", app_entries(), labels={"x": "1"})
    result = explain(str(a), str(b) + ":latest")
    assert result.identical
    assert result.render() == f"identical: {result.manifest_digest_a}"
    cli = run_tool(IMAGE_DIFF, [str(a), f"{b}:latest"])
    assert cli.returncode == 0
    assert cli.stdout.strip() == f"identical: {result.manifest_digest_a}"


def test_one_byte_of_one_file_in_the_second_layer(tmp_path):
    a = image(tmp_path, "a", app_entries(b"hello world\n"))
    b = image(tmp_path, "b", app_entries(b"hello worle\n"))
    result = explain(str(a), str(b))
    assert not result.identical and result.config_differs
    layer = result.first_layer
    assert layer.index == 1 and result.further_differing_layers == 0
    assert layer.digest_a != layer.digest_b and layer.diff_id_a != layer.diff_id_b
    entry = layer.comparison.first
    assert entry.path == "app/data.txt"
    assert [f.field for f in entry.fields] == ["content"]
    assert layer.comparison.differing_entries == 1
    assert [d.path for d in result.config_diffs] == ["rootfs.diff_ids[1]"]

    text = result.render()
    assert "layer 1: first differing layer" in text
    assert "app/data.txt" in text and "content: sha256:" in text
    assert f"diff_id: {layer.diff_id_a} != {layer.diff_id_b}" in text
    cli = run_tool(IMAGE_DIFF, [str(a), str(b)])
    assert cli.returncode == 1 and cli.stdout.strip() == text and cli.stderr == ""


def test_mtime_only(tmp_path):
    a = image(tmp_path, "a", app_entries(mtime=0))
    b = image(tmp_path, "b", app_entries(mtime=1700000000))
    result = explain(str(a), str(b))
    entry = result.first_layer.comparison.first
    assert entry.path == "app/data.txt"
    assert [(f.field, f.a, f.b) for f in entry.fields] == [("mtime", 0, 1700000000)]
    assert "mtime: 0 != 1700000000" in result.render()


def test_config_label(tmp_path):
    a = image(tmp_path, "a", app_entries(), labels={"org.example.version": "1.0", "same": "x"})
    b = image(tmp_path, "b", app_entries(), labels={"org.example.version": "1.1", "same": "x"})
    result = explain(str(a), str(b))
    assert result.config_differs and result.first_layer is None
    assert [d.path for d in result.config_diffs] == ["config.Labels.org.example.version"]
    text = result.render()
    assert 'config.Labels.org.example.version: "1.0" != "1.1"' in text
    assert "layers: all 2 identical" in text


def test_env_difference_uses_list_index(tmp_path):
    a = image(tmp_path, "a", app_entries(), env=["X=0", "Y=0", "A=1"])
    b = image(tmp_path, "b", app_entries(), env=["X=0", "Y=0", "A=2"])
    assert 'config.Env[2]: "A=1" != "A=2"' in explain(str(a), str(b)).render()


def test_path_present_only_in_one(tmp_path):
    a = image(tmp_path, "a", app_entries())
    b = image(tmp_path, "b", app_entries(extra=[Entry("app/new.txt", b"new\n")]))
    result = explain(str(a), str(b))
    entry = result.first_layer.comparison.first
    assert (entry.path, entry.only_in) == ("app/new.txt", "B")
    assert "app/new.txt: present only in B" in result.render()


def test_first_differing_entry_in_path_order_and_count_of_the_rest(tmp_path):
    a = image(tmp_path, "a", app_entries(extra=[Entry("app/zz", b"1")]))
    b = image(tmp_path, "b", [Entry("app", type="dir", mode=0o700), Entry("app/a.txt", b"a\n"),
                              Entry("app/data.txt", b"changed"), Entry("app/z.txt", b"z\n"), Entry("app/zz", b"2")])
    comparison = explain(str(a), str(b)).first_layer.comparison
    assert comparison.first.path == "app" and comparison.first.fields[0].field == "mode"
    assert comparison.differing_entries == 3
    assert "2 further differing entries in layer 1" in explain(str(a), str(b)).render()


def test_layer_count_and_further_layers(tmp_path):
    a = image(tmp_path, "a", app_entries())
    b_layers = [write_layer(tmp_path / "b", "common", [Entry("etc", type="dir")]),
                write_layer(tmp_path / "b", "app", app_entries()),
                write_layer(tmp_path / "b", "more", [Entry("more", b"!")])]
    b = tmp_path / "b" / "image"
    build_image(b, b_layers)
    result = explain(str(a), str(b))
    assert result.first_layer.index == 0 and result.further_differing_layers == 1
    assert result.first_layer.comparison.first.path == "etc/hostname"
    text = result.render()
    assert "layers: 2 in A, 3 in B" in text and "1 further differing layer after layer 0" in text


def test_compression_only_difference(tmp_path):
    a = image(tmp_path, "a", app_entries(), gzip_mtime=0)
    b = image(tmp_path, "b", app_entries(), gzip_mtime=1234)
    result = explain(str(a), str(b))
    layer = result.first_layer
    assert layer.diff_id_a == layer.diff_id_b and layer.comparison is None
    assert "only the compression differs" in layer.note
    assert [d.render() for d in layer.compression_diffs] == ["gzip header.mtime: 0 != 1234"]
    assert not result.config_differs


def test_zstd_layers(tmp_path):
    a = image(tmp_path, "a", app_entries(b"one"), compression="zstd")
    b = image(tmp_path, "b", app_entries(b"two"), compression="zstd")
    assert explain(str(a), str(b)).first_layer.comparison.first.path == "app/data.txt"


def test_multi_platform_layouts_pick_a_platform(tmp_path):
    amd_a = image(tmp_path, "amd_a", app_entries(b"1"))
    amd_b = image(tmp_path, "amd_b", app_entries(b"2"))
    arm = image(tmp_path, "arm", app_entries(b"arm"), architecture="arm64")
    multi_a, multi_b = tmp_path / "multi_a", tmp_path / "multi_b"
    merge_into_index(multi_a, [(amd_a, "linux/amd64"), (arm, "linux/arm64")])
    merge_into_index(multi_b, [(amd_b, "linux/amd64"), (arm, "linux/arm64")])
    assert explain(str(multi_a), str(multi_b)).first_layer.comparison.first.path == "app/data.txt"
    assert explain(str(multi_a), str(multi_b), architecture="arm64").identical
    cli = run_tool(IMAGE_DIFF, ["--architecture=arm64", str(multi_a), str(multi_b)])
    assert cli.returncode == 0 and cli.stdout.startswith("identical: ")


def test_tagged_reference(tmp_path):
    a = image(tmp_path, "a", app_entries(), tag="v1")
    assert parse_reference(f"{a}:v1").tag == "v1"
    assert explain(f"{a}:v1", str(a)).identical
    with pytest.raises(UserError, match="no manifest tagged 'v2'"):
        explain(f"{a}:v2", str(a))


def test_cli_errors_are_one_line(tmp_path):
    a = image(tmp_path, "a", app_entries())
    for args, expected in (([str(a), str(tmp_path / "missing")], "is not an OCI image layout directory"),
                           ([str(a)], "expected two images"),
                           ([str(a), str(tmp_path)], "oci-layout does not exist")):
        cli = run_tool(IMAGE_DIFF, args)
        assert cli.returncode == 1 and "Traceback" not in cli.stderr
        assert len(cli.stderr.strip().splitlines()) == 1 and expected in cli.stderr, cli.stderr


def test_tag_with_colons_and_a_layout_with_several_tags(tmp_path):
    a = image(tmp_path, "a", app_entries(), tag="example.com/app:1.0")
    assert parse_reference(f"{a}:example.com/app:1.0").tag == "example.com/app:1.0"
    assert explain(f"{a}:example.com/app:1.0", str(a)).identical
    # Two tagged manifests in one index.json: the bare directory is ambiguous.
    b = image(tmp_path, "b", app_entries(b"other"), tag="other")
    merged = tmp_path / "merged"
    merge_into_index(merged, [(a, "linux/amd64"), (b, "linux/arm64")], nested=False)
    index = json.loads((merged / "index.json").read_text())
    for entry, tag in zip(index["manifests"], ("one", "two")):
        del entry["platform"]
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (merged / "index.json").write_text(json.dumps(index))
    with pytest.raises(UserError, match="tagged 'one', no platform tagged 'two'"):
        explain(str(merged), str(a))
    assert explain(f"{merged}:one", str(a)).identical
