"""Standard-library-only driver for cross-interpreter tests: spec in, layer and descriptor out.

    python driver.py SPEC OUTPUT COMPRESSION THREADS MTIME

Prints the descriptor as canonical JSON. absl-py is not needed, so any Python 3.9+
can run it (the pyenv interpreters have no third-party packages).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

from tools.common import canonical_json  # noqa: E402
from tools.common.errors import run_main  # noqa: E402
from tools.layer import spec  # noqa: E402


def _main(argv: list[str]) -> int:
    spec_path, output, compression, threads, mtime = argv[1:]
    with spec.builder_from_spec(spec_path, mtime=int(mtime)) as builder, open(output, "wb") as out:
        descriptor = builder.write(out, compression=compression, threads=int(threads))
    sys.stdout.write(canonical_json.dumps(descriptor.to_json()).decode("utf-8") + "\n")
    return 0


if __name__ == "__main__":
    run_main("driver", _main, sys.argv)
