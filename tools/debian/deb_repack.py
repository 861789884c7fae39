"""Repacks one or more .deb files into one normalized, reproducible image layer.

    deb_repack --deb a.deb [--deb b.deb ...] --output layer.tar.gz \\
        [--descriptor layer.json] [--compression gzip|zstd|none]

The layer holds every package's data.tar contents plus a dpkg status record per
package (var/lib/dpkg/status.d/<package>); its bytes do not depend on the order
of --deb flags. Outputs are written atomically; errors are one line, exit 1.
"""

from __future__ import annotations

import contextlib
import os
from typing import Sequence

from absl import flags

from tools.common import atomic, canonical_json
from tools.common.errors import UserError, run_cli
from tools.debian.repack import repack

TOOL = "deb_repack"

_DEB = flags.DEFINE_multi_string("deb", [], "A .deb to put into the layer (repeatable).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the layer blob.")
_DESCRIPTOR = flags.DEFINE_string("descriptor", None, "Where to write {mediaType, digest, size, diffID} (canonical JSON).")
_COMPRESSION = flags.DEFINE_enum("compression", "gzip", ["gzip", "zstd", "none"], "Layer compression.")
_LEVEL = flags.DEFINE_integer("level", None, "Compression level (default: the layer writer's).")
_THREADS = flags.DEFINE_integer("threads", None, "Compression threads; the output does not depend on it.")
_MD5SUMS = flags.DEFINE_boolean("md5sums", True, "Also add var/lib/dpkg/status.d/<package>.md5sums.")


def main(argv: Sequence[str]) -> int:
    if not _DEB.value or not _OUTPUT.value:
        raise UserError("--deb and --output are required")
    output_dir = os.path.dirname(os.path.abspath(_OUTPUT.value))
    with contextlib.ExitStack() as outputs:
        layer = outputs.enter_context(atomic.atomic_binary_output(_OUTPUT.value))
        descriptor = repack(
            _DEB.value,
            layer,
            compression=_COMPRESSION.value,
            level=_LEVEL.value,
            threads=_THREADS.value,
            md5sums=_MD5SUMS.value,
            tmpdir=output_dir,
        )
        if _DESCRIPTOR.value:
            outputs.enter_context(atomic.atomic_binary_output(_DESCRIPTOR.value)).write(
                canonical_json.dumps(descriptor.to_json())
            )
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
