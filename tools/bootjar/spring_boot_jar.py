"""spring_boot_jar: writes a Spring Boot 3.2+ executable jar whose bytes depend only on its inputs.

    spring_boot_jar --spec boot.json --output app.jar

The spec (tools/bootjar/spec.py) names the loader jar, the application jar(s), the runtime
jars and the classes. The duplicate-class and banned-dependency checks run before anything is
written; the output appears atomically or not at all. Bad input prints one line,
`spring_boot_jar: error: ...`, and exits 1.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    # Run as a script (`python3 tools/bootjar/spring_boot_jar.py`): make the repository root
    # importable so the absolute `tools.` imports work as they do under Bazel.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from typing import Sequence

from absl import flags

from tools.bootjar import layout
from tools.bootjar.spec import load_spec
from tools.common import atomic
from tools.common.errors import UserError, run_cli

TOOL = "spring_boot_jar"

_SPEC = flags.DEFINE_string("spec", None, "JSON spec of the jar (see tools/bootjar/spec.py).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the executable jar.")


def main(argv: Sequence[str]) -> int:
    if not _SPEC.value or not _OUTPUT.value:
        raise UserError("--spec and --output are required")
    atomic.check_replaceable(_OUTPUT.value)
    spec = load_spec(_SPEC.value)
    with layout.plan(spec) as plan, atomic.atomic_binary_output(_OUTPUT.value) as out:
        layout.write(plan, out)
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
