"""The action check finds a Javac on another JDK and an input from the environment's JDK."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from e2e.toolchains import check_actions


def _graph(javac_java: str, extra_input: str) -> dict:
    fragments, artifacts = [], []

    def artifact(path: str) -> int:
        parent = 0
        for label in path.split("/"):
            fragments.append({"id": len(fragments) + 1, "label": label, "parentId": parent})
            parent = len(fragments)
        artifacts.append({"id": len(artifacts) + 1, "pathFragmentId": parent})
        return len(artifacts)

    src, other = artifact("pkg/A.java"), artifact(extra_input)
    return {
        "pathFragments": fragments,
        "artifacts": artifacts,
        "depSetOfFiles": [{"id": 1, "directArtifactIds": [src]}, {"id": 2, "directArtifactIds": [other],
                                                                    "transitiveDepSetIds": [1]}],
        "targets": [{"id": 1, "label": "//pkg:lib"}, {"id": 2, "label": "//pkg:tool"}],
        "actions": [
            {"targetId": 1, "mnemonic": "Javac", "arguments": [javac_java, "-jar", "JavaBuilder.jar"],
             "inputDepSetIds": [1]},
            {"targetId": 2, "mnemonic": "Genrule", "arguments": ["/bin/bash"], "inputDepSetIds": [2]},
        ],
    }


def _run(graph: dict) -> tuple[int, str]:
    out = io.StringIO()
    stdout, sys.stdout = sys.stdout, out
    try:
        status = check_actions.report(graph)
    finally:
        sys.stdout = stdout
    return status, out.getvalue()


def test_pinned_build_passes():
    status, out = _run(_graph(check_actions.PINNED_JAVA, "pkg/data.txt"))
    assert status == 0 and out.endswith("3 passed, 0 failed\n"), out


def test_javac_on_another_jdk_and_an_input_from_the_environment_fail():
    status, out = _run(_graph("external/rules_java~~toolchains~local_jdk/bin/java",
                              "external/rules_java~~toolchains~local_jdk/lib/modules"))
    assert status == 1
    assert "FAIL Javac of //pkg:lib runs external/rules_java~~toolchains~local_jdk/bin/java" in out
    assert "FAIL no action takes an input from the environment's JDK: //pkg:tool (Genrule)" in out
    assert out.endswith("1 passed, 2 failed\n"), out


def test_bad_input_is_one_line():
    result = subprocess.run([sys.executable, check_actions.__file__], input="ERROR: not json", text=True,
                            capture_output=True)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
