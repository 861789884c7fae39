#!/usr/bin/env bash
# ./scripts/test.sh [-- BAZEL_TEST_ARG...]: runs every test of the project.
#
# Creates the build environment on first use, runs `bazel test //...` inside it (arguments after
# -- go to `bazel test`), then the checks that must run outside it: the environment's own
# (scripts/buildenv/tests), the change-isolation test that builds a modified copy of the
# workspace (e2e/change_test.sh), the C/C++ toolchain's hermeticity check (e2e/hermetic_cc_test.sh),
# the images built on a local remote-execution cluster (e2e/remote_test.sh) and the build under
# varied conditions
# (scripts/check_reproducibility.sh). The last line counts every test case that ran:
# `N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/format.sh
bazel_arguments "$@"
[[ ${1-} == -- ]] && shift
started=$SECONDS
status=0
passed=0 failed=0 skipped=0

add_counts() {  # add_counts FILE: adds the last "N passed, N failed[, N skipped]" line of FILE
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  if [[ -z $line ]]; then
    failed=$((failed + 1))
    return
  fi
  read -r p _ f _ s _ <<<"${line//,/}"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! ./scripts/buildenv/run.sh true; then
  echo "test.sh: the build environment could not be created" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== bazel test //... (inside the build environment)"
./scripts/buildenv/run.sh ./scripts/bazel_tests.sh -- "$@" 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
add_counts "$log"

echo "== build environment checks (outside it)"
./scripts/buildenv/tests/buildenv_test.sh 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
add_counts "$log"

echo "== change isolation and explanation (a modified copy of the workspace)"
./e2e/change_test.sh 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
add_counts "$log"

echo "== C/C++ toolchain with the machine's compilers and headers hidden (fresh copies and output bases)"
./e2e/hermetic_cc_test.sh 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
add_counts "$log"

echo "== remote execution and remote cache on a local BuildGrid cluster (fresh copies and output bases)"
./e2e/remote_test.sh 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
add_counts "$log"

echo "== digests under varied build conditions (fresh copies and output bases)"
./scripts/check_reproducibility.sh 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || status=1
add_counts "$log"

echo "test.sh: finished in $(human_duration $((SECONDS - started)))"
((failed == 0)) || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
