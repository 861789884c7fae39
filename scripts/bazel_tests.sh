#!/usr/bin/env bash
# ./scripts/bazel_tests.sh [-- BAZEL_TEST_ARG...]: runs `bazel test //...` and the checks that ask Bazel.
#
# Runs inside the build environment (./scripts/buildenv/run.sh ./scripts/bazel_tests.sh): `bazel
# test //...` (arguments after -- go to it), then the checks that ask Bazel itself and so cannot
# run under `bazel test`, and prints the counted test cases of all of them as the last line:
# `N passed, N failed, N skipped`.
#
# The checks: every service image is in the release manifest (shuffler/services/services_test.sh);
# every action runs the pinned toolchains (e2e/toolchains/toolchains_test.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/format.sh
bazel_arguments "$@"
[[ ${1-} == -- ]] && shift
[[ -f /etc/reproimage-buildenv ]] || usage_error "run it inside the build environment: ./scripts/buildenv/run.sh ./scripts/bazel_tests.sh"
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
