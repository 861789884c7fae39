#!/usr/bin/env bash
# ./shuffler/services/services_test.sh: every service image is in SERVICES (shuffler/services/services.bzl).
#
# Every image target under shuffler/services/ must be listed, so the release manifest
# //:image_hashes covers it. It asks `bazel query`, so it runs inside the build environment but
# outside `bazel test` (./scripts/bazel_tests.sh runs it after the tests). Prints one PASS/FAIL
# line per image target and `N passed, N failed` last.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/format.sh
no_arguments "$@"
[[ -f /etc/reproimage-buildenv ]] || exec ./scripts/buildenv/run.sh ./shuffler/services/services_test.sh "$@"

query() {  # query EXPR: the labels, sorted; the query's own error, and exit 1, if it fails
  local out
  if ! out=$(bazel query --noshow_progress "$1" 2>&1); then
    printf '%s\n' "$out" | grep -E '^ERROR' >&2
    return 1
  fi
  printf '%s\n' "$out" | grep '^//' | sort
}

images=$(query 'attr(name, "_image$", kind("^oci_image rule$", //shuffler/services/...))') || exit 1
listed=$(query 'labels(images, //:image_hashes)') || exit 1
passed=0 failed=0
for image in $images; do
  if grep -qxF "$image" <<<"$listed"; then
    passed=$((passed + 1))
    echo "PASS $image is in //:image_hashes"
  else
    failed=$((failed + 1))
    echo "FAIL $image is not in SERVICES (shuffler/services/services.bzl): add it, or //:image_hashes," \
      "./scripts/build_images.sh and //e2e:reproducibility leave it out"
  fi
done
if [[ -z $images ]]; then
  failed=$((failed + 1))
  echo "FAIL no image target found under shuffler/services/ (did the query change?)"
fi
echo "$passed passed, $failed failed"
((failed == 0))
