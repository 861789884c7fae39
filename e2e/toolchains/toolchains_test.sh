#!/usr/bin/env bash
# ./e2e/toolchains/toolchains_test.sh: every action of `bazel build //...` runs the pinned toolchains.
#
# e2e/toolchains/check_actions.py says which checks. It asks `bazel aquery`, so it runs inside the
# build environment but outside `bazel test` (./scripts/bazel_tests.sh runs it after the tests).
# Prints `N passed, N failed` last.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/format.sh
no_arguments "$@"
[[ -f /etc/reproimage-buildenv ]] || exec ./scripts/buildenv/run.sh ./e2e/toolchains/toolchains_test.sh
graph=$(mktemp)
trap 'rm -f "$graph"' EXIT
if ! bazel aquery --noshow_progress '//...' --output=jsonproto >"$graph" 2>"$graph.err"; then
  grep -E '^ERROR' "$graph.err" >&2
  rm -f "$graph.err"
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f "$graph.err"
python3 e2e/toolchains/check_actions.py <"$graph"
