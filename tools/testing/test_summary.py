"""Counts test cases from Bazel's JUnit XML files and prints `N passed, N failed, N skipped`.

Bazel's own summary counts targets; a py_pytest target holds many test cases. This reads the
`test.xml` of every test target that `bazel query 'tests(//...)'` names (fresh or cached), so
the count covers every test case that ran. A target whose XML is missing counts as one failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET


def count(xml_path: str) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--testlogs", required=True)
    parser.add_argument("--targets", required=True, help="file with one test label per line")
    parser.add_argument("--failed-targets", default="", help="file with labels Bazel reported failing")
    args = parser.parse_args()
    with open(args.targets, encoding="utf-8") as f:
        targets = [line.strip() for line in f if line.strip()]
    failed_targets = set()
    if args.failed_targets and os.path.exists(args.failed_targets):
        with open(args.failed_targets, encoding="utf-8") as f:
            failed_targets = {line.strip() for line in f if line.strip()}
    passed = failed = skipped = 0
    for label in targets:
        package, _, name = label.lstrip("@").lstrip("/").partition(":")
        xml_path = os.path.join(args.testlogs, package, name, "test.xml")
        if not os.path.exists(xml_path):
            failed += 1
            print(f"no test results for {label}", file=sys.stderr)
            continue
        p, f_, s = count(xml_path)
        if label in failed_targets and f_ == 0:
            f_ = 1  # a crash or timeout that left no failing test case behind
        passed, failed, skipped = passed + p, failed + f_, skipped + s
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
