#!/usr/bin/env bash
# Runs `bazel test //...` (inside the build environment), then the checks that ask Bazel itself
# and so cannot run under `bazel test`, and prints the counted test cases of all of them as the
# last line: `N passed, N failed, N skipped`. Extra arguments go to `bazel test`.
#
# The checks: every service image is in the release manifest (shuffler/services/services_test.sh);
# every action runs the pinned toolchains (e2e/toolchains/toolchains_test.sh).
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
read -r passed _ failures _ skipped _ <<<"${summary//,/}"
passed=${passed:-0} failures=${failures:-1} skipped=${skipped:-0}

for check in "every service image is in the release manifest:shuffler/services/services_test.sh" \
  "every action runs the pinned toolchains:e2e/toolchains/toolchains_test.sh"; do
  echo "== ${check%%:*}"
  "./${check#*:}" 2>&1 | tee "$log"
  ((PIPESTATUS[0] == 0)) || status=1
  read -r p _ f _ <<<"$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | tr -d ,)"
  passed=$((passed + ${p:-0})) failures=$((failures + ${f:-1}))
done
echo "$passed passed, $failures failed, $skipped skipped"
exit "$status"
