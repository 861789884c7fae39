#!/usr/bin/env bash
# ./scripts/build_images.sh [-- BAZEL_ARG...]: builds every service image, prints `<service> sha256:<digest>`.
#
# Creates the build environment on first use, builds //... inside it (arguments after -- go to
# `bazel build`, e.g. `-- --jobs=1`), then prints the release manifest //:image_hashes
# (bazel-bin/image_hashes.json), one line per service, sorted. Those digests are what a
# verifier re-derives and a TEE attests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/format.sh
bazel_arguments "$@"
[[ ${1-} == -- ]] && shift
started=$SECONDS
./scripts/buildenv/run.sh sh -c '
  set -e
  bazel build //... "$@"
  python3 -c "import json,sys
for name, digest in sorted(json.load(open(sys.argv[1])).items()):
    print(name, digest)" "$(bazel info bazel-bin "$@" 2>/dev/null)/image_hashes.json"
' build_images "$@"
echo "build_images.sh: finished in $(human_duration $((SECONDS - started)))" >&2
