"""The same spec gives the same jar bytes under every Python 3.9+ the project has.

Interpreters come from REPRO_EXTRA_PYTHONS (colon-separated paths; Bazel gives Debian's 3.9 and
3.13 and the environment's python3); absent ones are skipped with the reason. Each runs
tests/driver.py, which needs only the standard library.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools.bootjar.tests.jarfixtures import build, standard_inputs, write_jar, write_spec

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver.py")


def _interpreters() -> list[str]:
    return [p for p in os.environ.get("REPRO_EXTRA_PYTHONS", "").split(":") if p]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("cross")
    inputs = standard_inputs(root / "in")
    spec = inputs.spec()
    unicode_lib = write_jar(root / "in" / "ünï-1.0.jar", {"ünï/Ç.class": b"\xca\xfe\xba\xbe\x00"})
    spec["libs"].append({"name": "ünï-1.0.jar", "path": str(unicode_lib.path)})
    spec["start_class"] = "com.example.App"
    jar = build(root, spec)
    return write_spec(root / "spec.json", spec), jar.read_bytes()


@pytest.mark.parametrize("python", _interpreters() or [pytest.param(None, marks=pytest.mark.skip(
    reason="REPRO_EXTRA_PYTHONS names no interpreter"))])
def test_same_bytes_under_another_python(tmp_path, reference, python):
    if not os.path.exists(python):
        pytest.skip(f"{python} does not exist")
    spec, expected = reference
    out = tmp_path / "out.jar"
    result = subprocess.run([python, DRIVER, str(spec), str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    version = subprocess.run([python, "-c", "import sys, zlib; print(sys.version.split()[0], zlib.ZLIB_RUNTIME_VERSION)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert out.read_bytes() == expected, f"{python} ({version}) wrote other bytes than {sys.version.split()[0]}"
