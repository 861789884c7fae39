#!/usr/bin/env bash
# Runs `bazel test //...` (inside the build environment), then the checks that ask Bazel itself
# and so cannot run under `bazel test` (shuffler/services/services_test.sh: every service image
# is in the release manifest), and prints the counted test cases of both as the last line:
# `N passed, N failed, N skipped`. Extra arguments go to `bazel test`.
set -uo pipefail
cd "$(dirname "$0")/.."
[[ -f /etc/reproimage-buildenv ]] || { echo "bazel_tests.sh: run it through ./scripts/buildenv/run.sh" >&2; exit 2; }
log=$(mktemp)
targets=$(mktemp)
failed=$(mktemp)
trap 'rm -f "$log" "$targets" "$failed"' EXIT
bazel test //... "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
bazel query 'tests(//...) except attr(tags, "manual", tests(//...))' 2>/dev/null >"$targets"
grep -E '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log" | awk '{print $1}' >"$failed" || true
summary=$(python3 tools/testing/test_summary.py --testlogs "$(bazel info bazel-testlogs 2>/dev/null)" \
  --targets "$targets" --failed-targets "$failed")

echo "== every service image is in the release manifest"
./shuffler/services/services_test.sh 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
read -r p _ f _ s _ <<<"${summary//,/}"
read -r p2 _ f2 _ <<<"$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | tr -d ,)"
echo "$((${p:-0} + ${p2:-0})) passed, $((${f:-1} + ${f2:-1})) failed, ${s:-0} skipped"
exit "$status"
