"""Writes a boot jar from a spec with whatever Python runs this file (standard library only).

    python3 driver.py SPEC OUTPUT

The cross-Python test runs it under other interpreters and compares the bytes.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

from tools.bootjar import layout  # noqa: E402
from tools.bootjar.spec import load_spec  # noqa: E402

if __name__ == "__main__":
    with layout.plan(load_spec(sys.argv[1])) as plan, open(sys.argv[2], "wb") as out:
        layout.write(plan, out)
