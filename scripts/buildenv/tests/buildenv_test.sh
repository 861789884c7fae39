#!/usr/bin/env bash
# ./scripts/buildenv/tests/buildenv_test.sh: checks of the build environment that only run outside it.
#
# On the host, as root: reuse of an existing root, Bazel's version, linux-sandbox, the lock check
# against a real root, and the one-line errors of bad invocations. Prints `N passed, N failed`
# last.
set -uo pipefail
cd "$(dirname "$0")/../../.."
. scripts/format.sh
. scripts/checks.sh
no_arguments "$@"
buildenv=scripts/buildenv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A bad invocation prints exactly one line, mentioning PATTERN, and exits non-zero.
one_line_error() {  # one_line_error PATTERN CMD...
  local pattern=$1
  shift
  local out status
  out=$("$@" 2>&1 </dev/null)
  status=$?
  printf '%s\n' "$out"
  [[ $status -ne 0 && $(printf '%s\n' "$out" | wc -l) -eq 1 ]] && grep -q -- "$pattern" <<<"$out"
}

reuse_is_fast() {
  "$buildenv/run.sh" true || return 1  # make sure it exists
  local start=$SECONDS
  "$buildenv/run.sh" true || return 1
  local took=$((SECONDS - start))
  echo "second use took ${took}s"
  ((took <= 10))
}

bazel_is_7_7_1() {
  local out
  out=$("$buildenv/run.sh" bazel version) || return 1
  printf '%s\n' "$out"
  grep -qx 'Build label: 7.7.1' <<<"$out" && [[ $("$buildenv/run.sh" bazel --version) == "bazel 7.7.1" ]]
}

linux_sandbox_works() {
  local out
  out=$("$buildenv/run.sh" bazel test --spawn_strategy=linux-sandbox --nocache_test_results \
    //e2e/sandbox:sandbox_test 2>&1) || return 1
  printf '%s\n' "$out"
  grep -q 'processes: .*linux-sandbox' <<<"$out"
}

root=$("$buildenv/create.sh" 2>/dev/null)

tampered_lock_fails() {
  sed 's/^package bazel-bootstrap .*/package bazel-bootstrap 7.7.0+ds-1 amd64/' "$buildenv/environment.lock" >"$tmp/tampered.lock"
  local out
  out=$(REPROIMAGE_ENVIRONMENT_LOCK=$tmp/tampered.lock REPROIMAGE_BUILDENV_ROOT=$root "$buildenv/create.sh" --verify 2>&1) && return 1
  printf '%s\n' "$out"
  grep -q 'bazel-bootstrap is locked at 7.7.0+ds-1 but the mirror installed' <<<"$out"
}

unimportant_drift_is_accepted() {
  sed 's/^package curl .*/package curl 0.0-1 amd64/' "$buildenv/environment.lock" >"$tmp/drifted.lock"
  local out
  out=$(REPROIMAGE_ENVIRONMENT_LOCK=$tmp/drifted.lock REPROIMAGE_BUILDENV_ROOT=$root "$buildenv/create.sh" --verify 2>&1) || return 1
  printf '%s\n' "$out"
  grep -q 'note: 1 packages that do not decide the build differ' <<<"$out" && grep -q 'curl 0.0-1 ->' <<<"$out"
}

unrecorded_package_fails() {
  # packages.txt lists curl; a lock that does not record it must be re-made, not silently used.
  grep -v '^package curl ' "$buildenv/environment.lock" >"$tmp/unrecorded.lock"
  local out
  out=$(REPROIMAGE_ENVIRONMENT_LOCK=$tmp/unrecorded.lock REPROIMAGE_BUILDENV_ROOT=$root "$buildenv/create.sh" --verify 2>&1) && return 1
  printf '%s\n' "$out"
  grep -q 'packages.txt lists curl, which environment.lock does not record; run ./scripts/buildenv/create.sh --accept-drift' <<<"$out"
}

untampered_lock_verifies() {
  REPROIMAGE_BUILDENV_ROOT=$root "$buildenv/create.sh" --verify
}

no_space_is_one_line() {
  # A 16 MiB cache can hold no environment: creation must stop before starting.
  unshare --mount --propagation private -- sh -c '
    mount -t tmpfs -o size=16m tmpfs "$1" || exit 99
    REPROIMAGE_CACHE=$1 exec "$2/create.sh"' nospace "$tmp/small" "$PWD/$buildenv"
}

mkdir -p "$tmp/small"
check "second use reuses the environment (seconds)" reuse_is_fast
check "bazel version is 7.7.1" bazel_is_7_7_1
check "builds use linux-sandbox" linux_sandbox_works
check "environment matches its lock" untampered_lock_verifies
check "tampered lock (bazel-bootstrap) fails clearly" tampered_lock_fails
check "drift in an unimportant package is reported and accepted" unimportant_drift_is_accepted
check "a listed package the lock does not record fails clearly" unrecorded_package_fails
check "unknown flag: one line" one_line_error "unknown option '--frobnicate'" "$buildenv/run.sh" --frobnicate true
check "missing root privileges: one line" one_line_error "needs root privileges" setpriv --reuid=65534 --regid=65534 --clear-groups "$buildenv/run.sh" true
check "no space: one line" one_line_error "not enough space" no_space_is_one_line
check "run.sh without a command: one line" one_line_error "no command given; usage: ./scripts/buildenv/run.sh" "$buildenv/run.sh"

checks_summary
