"""layer_writer: writes one reproducible OCI layer from a JSON spec.

    layer_writer --spec layer.json --output layer.tar.gz --descriptor layer.json.desc \\
        [--listing layer.txt] [--compression gzip|zstd|none] [--level N] [--threads N] [--mtime SECONDS]

Outputs are written atomically: on any error none of them is left behind.
Bad input prints one line, `layer_writer: error: ...`, and exits 1.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, Sequence

from absl import flags

from tools.common import atomic, canonical_json
from tools.common.errors import UserError, run_cli
from tools.layer import compress, spec, tar_format

TOOL = "layer_writer"

_SPEC = flags.DEFINE_string("spec", None, "JSON spec of the layer's entries (see tools/layer/README.md).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the (compressed) layer blob.")
_DESCRIPTOR = flags.DEFINE_string(
    "descriptor", None, "Where to write {mediaType, digest, size, diffID} as canonical JSON.")
_LISTING = flags.DEFINE_string(
    "listing", None, "Optional: one line per entry, '<mode> <type> <size> <sha256 or target> <path>'.")
_COMPRESSION = flags.DEFINE_enum("compression", "gzip", list(compress.COMPRESSIONS), "Layer compression.")
_LEVEL = flags.DEFINE_integer("level", None, "Compression level (default: gzip 6, zstd 3).")
_THREADS = flags.DEFINE_integer("threads", None, "Compression threads (default: all available cores); "
                                "the output does not depend on it.")
_MTIME = flags.DEFINE_integer("mtime", None, "Modification time of every entry, in seconds since the epoch "
                              "(default: $SOURCE_DATE_EPOCH, else 0).")


def _mtime() -> int:
    if _MTIME.value is not None:
        if not 0 <= _MTIME.value <= tar_format.MAX_MTIME:
            raise UserError(f"--mtime={_MTIME.value} must be between 0 and {tar_format.MAX_MTIME}")
        return _MTIME.value
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value:
        return 0
    if not value.isdigit() or int(value) > tar_format.MAX_MTIME:
        raise UserError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds between 0 and "
                        f"{tar_format.MAX_MTIME}; fix or unset it, or pass --mtime")
    return int(value)


def _check_outputs(*outputs: str | None) -> None:
    """Before any work: a layer can take minutes, a bad output path should not."""
    for path in outputs:
        if path:
            atomic.check_replaceable(path)


def main(argv: Sequence[str]) -> int:
    if not _SPEC.value or not _OUTPUT.value:
        raise UserError("--spec and --output are required")
    mtime = _mtime()
    compress.resolve_settings(_COMPRESSION.value, _LEVEL.value, _THREADS.value)  # flag errors first
    _check_outputs(_OUTPUT.value, _DESCRIPTOR.value, _LISTING.value)
    spec_path = _SPEC.value
    with spec.builder_from_spec(spec_path, mtime=mtime, tmpdir=os.path.dirname(os.path.abspath(_OUTPUT.value))) \
            as builder, contextlib.ExitStack() as outputs:
        if _LISTING.value:
            with _naming_spec(spec_path):
                lines = "".join(entry.listing_line() + "\n" for entry in builder.entries())
            outputs.enter_context(atomic.atomic_text_output(_LISTING.value)).write(lines)
        layer = outputs.enter_context(atomic.atomic_binary_output(_OUTPUT.value))
        with _naming_spec(spec_path):
            descriptor = builder.write(layer, compression=_COMPRESSION.value, level=_LEVEL.value,
                                       threads=_THREADS.value)
        if _DESCRIPTOR.value:
            outputs.enter_context(atomic.atomic_binary_output(_DESCRIPTOR.value)).write(
                canonical_json.dumps(descriptor.to_json()))
    return 0


@contextlib.contextmanager
def _naming_spec(spec_path: str) -> Iterator[None]:
    """Problems found while resolving or writing entries (conflicts, links) name the spec too."""
    try:
        yield
    except UserError as e:
        raise UserError(f"{spec_path}: {e}") from None


if __name__ == "__main__":
    run_cli(TOOL, main)
