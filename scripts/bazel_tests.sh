#!/usr/bin/env bash
# Runs `bazel test //...` (inside the build environment) and prints the counted test cases as
# the last line: `N passed, N failed, N skipped`. Extra arguments go to `bazel test`.
set -uo pipefail
cd "$(dirname "$0")/.."
[[ -f /etc/reproimage-buildenv ]] || { echo "bazel_tests.sh: run it through ./scripts/buildenv/run.sh" >&2; exit 2; }
log=$(mktemp)
bazel test //... "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
targets=$(mktemp)
bazel query 'tests(//...) except attr(tags, "manual", tests(//...))' 2>/dev/null >"$targets"
failed=$(mktemp)
grep -E '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log" | awk '{print $1}' >"$failed" || true
python3 tools/testing/test_summary.py --testlogs "$(bazel info bazel-testlogs 2>/dev/null)" \
  --targets "$targets" --failed-targets "$failed"
rm -f "$log" "$targets" "$failed"
exit "$status"
