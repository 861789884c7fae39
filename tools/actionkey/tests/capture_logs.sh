#!/usr/bin/env bash
# ./tools/actionkey/tests/capture_logs.sh: rewrites testdata/*.json from real Bazel builds.
#
# Builds fixture_workspace in two checkout paths with fresh output bases, the planted action's
# undeclared file holding different text in each (a.json, b.json), then a third copy whose
# message.txt differs (c.json). Runs inside the build environment (it enters it itself).
set -euo pipefail
project=$(cd "$(dirname "$0")/../../.." && pwd)
. "$project/scripts/format.sh"
no_arguments "$@"
in_buildenv
here=$project/tools/actionkey/tests
work=$(mktemp -d /var/tmp/actionkey.XXXXXX)
trap 'rm -rf "$work" /var/tmp/actionkey-undeclared.txt' EXIT
build() {  # build NAME UNDECLARED_TEXT [MESSAGE]
  local src=$work/$1/checkout/path-$1
  mkdir -p "$src"
  cp -r "$here/fixture_workspace/." "$src/"
  # Named BUILD.fixture in the tree, so the project's own //... never builds the planted action.
  mv "$src/BUILD.fixture" "$src/BUILD.bazel"
  [[ -n ${3-} ]] && printf '%s\n' "$3" >"$src/message.txt"
  printf '%s\n' "$2" >/var/tmp/actionkey-undeclared.txt
  (cd "$src" && bazel --output_user_root="$work/$1/out" build --spawn_strategy=linux-sandbox \
    --execution_log_json_file="$work/$1.json" //... &&
    bazel --output_user_root="$work/$1/out" shutdown)
  mv "$work/$1.json" "$here/testdata/$1.json"
}
build a one
build b two
build c one "a changed message"
