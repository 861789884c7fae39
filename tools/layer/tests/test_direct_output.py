"""Uncompressed layers written into a regular file (kernel copies) are the same bytes, with the
same digest, as the chunked path that pipes take."""

from __future__ import annotations

import hashlib
import io
import os
import threading

from tools.layer import direct_output
from tools.layer.builder import LayerBuilder


def _tree(root) -> None:
    os.makedirs(root / "d")
    (root / "big.bin").write_bytes(os.urandom(3 << 20) + b"tail")  # above the small-file path
    (root / "d" / "small.txt").write_bytes(b"small\n" * 10)
    (root / "d" / "empty").write_bytes(b"")
    os.link(root / "big.bin", root / "d" / "big-link")
    os.symlink("../big.bin", root / "d" / "sym")


def _builder(root) -> LayerBuilder:
    builder = LayerBuilder(mtime=7)
    builder.add_tree("layer", root)
    builder.add_bytes("generated.txt", b"x" * 1000)
    return builder


def _through_pipe(builder: LayerBuilder):
    read_fd, write_fd = os.pipe()
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_fd, 1 << 16), b"")))
    reader.start()
    with os.fdopen(write_fd, "wb") as pipe:
        assert not direct_output.supported(pipe)
        descriptor = builder.write(pipe, compression="none")
    reader.join()
    os.close(read_fd)
    return descriptor, b"".join(chunks)


def test_file_and_pipe_outputs_are_identical(tmp_path):
    _tree(tmp_path / "tree")
    with open(tmp_path / "layer.tar", "wb") as f:
        f.write(b"PREFIX")  # buffered, not yet on disk: the layer starts after it
        assert direct_output.supported(f)
        direct = _builder(tmp_path / "tree").write(f, compression="none")
    written = (tmp_path / "layer.tar").read_bytes()
    assert written.startswith(b"PREFIX")
    on_disk = written[len(b"PREFIX"):]
    piped, streamed = _through_pipe(_builder(tmp_path / "tree"))
    assert on_disk == streamed
    assert direct == piped
    assert direct.digest == direct.diff_id == "sha256:" + hashlib.sha256(on_disk).hexdigest()
    assert direct.size == len(on_disk)


def test_in_memory_outputs_take_the_chunked_path():
    assert not direct_output.supported(io.BytesIO())
