"""Image descriptions: what the reproducibility test commits, read back, and explained against.

The same explanation as image_diff gives for two layouts, from one layout and a description.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tools.common.errors import UserError
from tools.image import description, layer_diff
from tools.image.explain import explain
from tools.image.tests.fixtures import Entry, build_image, write_layer

BASE = [Entry("etc", type="dir"), Entry("etc/hostname", b"box\n")]


def _app(data: bytes, extra: list[Entry] | None = None) -> list[Entry]:
    return [Entry("app", type="dir"), Entry("app/data.txt", data), Entry("app/run", b"#!/bin/sh\n", mode=0o755),
            Entry("app/link", type="symlink", linkname="run"), *(extra or [])]


def _image(root: Path, name: str, app: list[Entry], layers: int = 2, **spec) -> str:
    inputs = [write_layer(root / name, "base", BASE), write_layer(root / name, "app", app)][:layers]
    out = root / name / "image"
    build_image(out, inputs, **spec)
    return str(out)


def _describe(layout: str, path: Path) -> str:
    text = io.StringIO()
    description.write_description(layout, text)
    path.write_text(text.getvalue())
    return str(path)


def test_a_description_holds_every_entry_as_the_layer_has_it(tmp_path):
    layout = _image(tmp_path, "a", _app(b"one\n"))
    path = _describe(layout, tmp_path / "a.jsonl")
    described = description.read_description(path)
    assert [len(layer.entries) for layer in described.layers] == [2, 4]
    assert [layer.digest for layer in described.layers] == [json.loads(line)["digest"] for line in open(path)
                                                            if line.startswith('{"diffID"')]
    blob = [line for line in open(path) if line.startswith('{"diffID"')][1]
    with layer_diff.blob_entries(f"{layout}/blobs/sha256/{json.loads(blob)['digest'][7:]}") as entries:
        assert described.layers[1].entries == list(entries)
    link = next(e for e in described.layers[1].entries if e.path == "app/link")
    assert (link.type, link.linkname, link.mode) == ("symlink", "run", 0o644)
    assert description.explain_against(path, layout).identical


def test_a_changed_file_is_explained_as_image_diff_explains_it(tmp_path):
    a = _image(tmp_path, "a", _app(b"one\n"))
    b = _image(tmp_path, "b", _app(b"two\n"))
    against = description.explain_against(_describe(a, tmp_path / "a.jsonl"), b)
    direct = explain(a, b)
    assert against.first_layer.index == direct.first_layer.index == 1
    assert against.first_layer.comparison.first == direct.first_layer.comparison.first
    assert [f.field for f in against.first_layer.comparison.first.fields] == ["content"]
    assert [d.path for d in against.config_diffs] == [d.path for d in direct.config_diffs] == ["rootfs.diff_ids[1]"]
    text = against.render()
    assert f"A: {tmp_path / 'a.jsonl'} (expected)" in text and f"B: {b} (built)" in text
    assert "first differing entry (in path order): app/data.txt" in text


def test_a_missing_layer_and_a_config_change(tmp_path):
    a = _image(tmp_path, "a", _app(b"one\n"), labels={"v": "1"})
    b = _image(tmp_path, "b", _app(b"one\n"), layers=1, labels={"v": "2"})
    result = description.explain_against(_describe(a, tmp_path / "a.jsonl"), b)
    assert result.first_layer.index == 1 and result.first_layer.note == "present only in A (expected)"
    assert "config.Labels.v" in [d.path for d in result.config_diffs]
    assert "layers: 2 in A, 1 in B" in result.render()


@pytest.mark.parametrize("line, message", [
    ('["app", "file"]', ":3: not an entry line of a reproimage image description; regenerate"),
    ('{"digest": "sha256:00", "layer": 0, "mediaType": "x", "size": 1}', ":2: a layer line lacks 'diffID'"),
    ("not json", ":2: not JSON"),
])
def test_a_damaged_description_names_its_line(tmp_path, line, message):
    path = Path(_describe(_image(tmp_path, "a", _app(b"one\n"), layers=1), tmp_path / "a.jsonl"))
    lines = path.read_text().splitlines()
    lines[1 if line.startswith(("{", "not")) else 2] = line
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=message):
        description.read_description(str(path))
