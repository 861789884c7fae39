"""Runs pytest on the test files named on the command line; the entry point of every py_pytest."""

from __future__ import annotations

import os
import sys

import pytest

if __name__ == "__main__":
    # Bazel's test runner gives us a private, writable temporary directory; keep pytest's there.
    args = ["-p", "no:cacheprovider", "-q", "-rs"]
    if "TEST_TMPDIR" in os.environ:
        args += ["--basetemp", os.path.join(os.environ["TEST_TMPDIR"], "pytest")]
    if "XML_OUTPUT_FILE" in os.environ:
        args += ["--junitxml", os.environ["XML_OUTPUT_FILE"]]
    sys.exit(pytest.main(args + sys.argv[1:]))
