#!/usr/bin/env bash
# ./e2e/change_test.sh: a change to one input changes only the layers it should, and is explained.
#
# Runs on the host: it builds a modified copy of the workspace in the build environment, with its
# own Bazel output base, checks which layers changed and that //e2e:reproducibility explains
# the change, and prints `N passed, N failed` last.
#
#   1. one byte of the task_builder service's source: only the application layer changes, and
#      //e2e:reproducibility fails naming that file and "content";
#   2. the service's pip lock (annotated-types 0.8.0 -> 0.7.0): only the packages layer changes;
#   3. one line of a Java service's source (collector): only that image's application layer
#      changes, and every other image stays as committed;
#   4. one line of C++ in libaggregation-jni.so: only the application layers of the three images
#      that ship the library change, not their package layers, and no other image.
set -uo pipefail
workspace=$(cd "$(dirname "$0")/.." && pwd)
. "$workspace/scripts/format.sh"
. "$workspace/scripts/checks.sh"
no_arguments "$@"
copy=$(mktemp -d /tmp/reproimage-change.XXXXXX)
cleanup() {
  (cd "$copy" && ./scripts/buildenv/run.sh bazel shutdown) >/dev/null 2>&1
  outputs=$(ls -d "${REPROIMAGE_CACHE:-$HOME/.cache/reproimage}"/outputs/*-"$(printf '%s' "$copy" | sha256sum | cut -c1-12)" 2>/dev/null)
  rm -rf "$copy" $outputs
}
trap cleanup EXIT

copy_workspace "$workspace" "$copy"
cd "$copy" || exit 1
image=shuffler/services/taskbuilder/task_builder_image
expected=e2e/expected/task_builder.jsonl

# Which layers of the built image differ from the committed expectation: "same"/"changed" each,
# read with the project's own layout and description readers.
layer_changes() {
  ./scripts/buildenv/run.sh sh -c 'bazel build //'"${image%/*}:${image##*/}"' >/dev/null 2>&1 || exit 1
    python3 - "$(bazel info bazel-bin 2>/dev/null)/'"$image"'" '"$expected"' <<"PY"
import sys
from tools.common import oci
from tools.image import description
layout, expected = sys.argv[1], sys.argv[2]
built = [layer.digest for layer in oci.resolve_image(oci.Layout.open(layout, "built image")).layers]
wanted = [layer.digest for layer in description.read_description(expected).layers]
print(" ".join("same" if a == b else "changed" for a, b in zip(wanted, built)))
PY'
}

source_change_explained() {
  sed -i 's/SERVICE = "task_builder"/SERVICE = "task_builder."/' shuffler/services/taskbuilder/task_builder_lib.py
  grep -q 'SERVICE = "task_builder."' shuffler/services/taskbuilder/task_builder_lib.py || return 1
  local log
  log=$(./scripts/buildenv/run.sh sh -c 'bazel test //e2e:reproducibility >/dev/null 2>&1; status=$?; cat bazel-testlogs/e2e/reproducibility/test.log; exit $status') && return 1
  printf '%s\n' "$log" | grep -A6 '^layer '
  grep -q 'first differing entry (in path order): task_builder/task_builder.runfiles/_main/shuffler/services/taskbuilder/task_builder_lib.py' <<<"$log" &&
    grep -q '    content: sha256:' <<<"$log" && grep -q '^layer 3: first differing layer' <<<"$log"
}

source_change_touches_only_the_application_layer() {
  local changes
  changes=$(layer_changes) || return 1
  echo "layers: $changes"
  [[ $changes == "same same same changed" ]]
}

# Every service image's layers against its committed description, one line each:
# `<service>: same same changed`.
all_layer_changes() {
  ./scripts/buildenv/run.sh sh -c 'bazel build //:image_hashes >/dev/null 2>&1 || exit 1
    python3 - "$(bazel info bazel-bin 2>/dev/null)" <<"PY"
import ast, os, sys
from tools.common import oci
from tools.image import description
bin_dir = sys.argv[1]
with open("shuffler/services/services.bzl") as f:
    services = ast.literal_eval(f.read().split("SERVICES = ", 1)[1])
for name, label in sorted(services.items()):
    package, _, target = label[2:].partition(":")
    built = [l.digest for l in oci.resolve_image(oci.Layout.open(os.path.join(bin_dir, package, target), name)).layers]
    wanted = [l.digest for l in description.read_description(f"e2e/expected/{name}.jsonl").layers]
    print(f"{name}: " + " ".join("same" if a == b else "changed" for a, b in zip(wanted, built)))
PY'
}

java_change_touches_only_its_application_layer() {
  git -C "$workspace" show HEAD:shuffler/services/taskbuilder/requirements_lock.txt >shuffler/services/taskbuilder/requirements_lock.txt 2>/dev/null ||
    cp "$workspace/shuffler/services/taskbuilder/requirements_lock.txt" shuffler/services/taskbuilder/
  local source=shuffler/services/collector/src/main/java/org/fcp/shuffler/collector/ReportLedger.java
  sed -i 's/throw new Rejected("an empty report", false);/throw new Rejected("an empty report (nothing to collect)", false);/' "$source"
  grep -q 'nothing to collect' "$source" || return 1
  local changes
  changes=$(all_layer_changes) || return 1
  printf '%s\n' "$changes"
  grep -qx 'collector: same changed' <<<"$changes" &&
    ! grep -v '^collector: ' <<<"$changes" | grep -q changed
}

cpp_change_touches_only_the_application_layers_that_ship_it() {
  git -C "$workspace" show HEAD:shuffler/services/collector/src/main/java/org/fcp/shuffler/collector/ReportLedger.java \
    >shuffler/services/collector/src/main/java/org/fcp/shuffler/collector/ReportLedger.java 2>/dev/null ||
    cp "$workspace/shuffler/services/collector/src/main/java/org/fcp/shuffler/collector/ReportLedger.java" \
      shuffler/services/collector/src/main/java/org/fcp/shuffler/collector/
  printf '\nextern "C" int reproimage_change_test() { return 1; }\n' >>shuffler/native/aggregation/aggregation.cc
  local changes
  changes=$(all_layer_changes) || return 1
  printf '%s\n' "$changes"
  local jni
  for jni in aggregator model_updater task_scheduler; do
    grep -qx "$jni: same same same same same same same same changed" <<<"$changes" || return 1
  done
  ! grep -vE '^(aggregator|model_updater|task_scheduler): ' <<<"$changes" | grep -q changed
}

lock_change_touches_only_the_packages_layer() {
  git -C "$workspace" show HEAD:shuffler/services/taskbuilder/task_builder_lib.py >shuffler/services/taskbuilder/task_builder_lib.py 2>/dev/null ||
    cp "$workspace/shuffler/services/taskbuilder/task_builder_lib.py" shuffler/services/taskbuilder/
  cp e2e/testdata/taskbuilder_requirements_lock_variant.txt shuffler/services/taskbuilder/requirements_lock.txt
  local changes
  changes=$(layer_changes) || return 1
  echo "layers: $changes"
  [[ $changes == "same same changed same" ]]
}

check "a one-byte source change fails //e2e:reproducibility, naming the file" source_change_explained
check "a source change changes only the application layer" source_change_touches_only_the_application_layer
check "a lock change changes only the packages layer" lock_change_touches_only_the_packages_layer
check "a Java source change changes only that image's application layer" java_change_touches_only_its_application_layer
check "a C++ source change changes only the application layers of the images that ship it" \
  cpp_change_touches_only_the_application_layers_that_ship_it
checks_summary
