#!/usr/bin/env bash
# ./scripts/docker/docker_run.sh "CMD": runs CMD in the build environment's container.
#
# The container is built from scripts/docker/Dockerfile, the same pinned environment as
# scripts/buildenv/ makes without Docker. The workspace is mounted at /workspace (the same fixed
# path as scripts/buildenv/run.sh uses) and Bazel's caches live in named volumes.
#
#   ./scripts/docker/docker_run.sh "bazel build //..."
#   ./scripts/docker/docker_run.sh "./scripts/build_images.sh"
set -euo pipefail
project=$(cd "$(dirname "$0")/../.." && pwd)
. "$project/scripts/format.sh"
case ${1-} in -h | --help) script_help ;; -*) usage_error "unknown option '$1'" ;; esac
[[ $# -eq 1 ]] || usage_error "expected one command (quote it), got $# arguments"
image=${REPROIMAGE_DOCKER_IMAGE:-reproimage-buildenv}
command -v docker >/dev/null || { echo "docker_run.sh: docker is not installed (use ./scripts/buildenv/run.sh)" >&2; exit 1; }
docker build -q -f "$project/scripts/docker/Dockerfile" -t "$image" "$project" >/dev/null
tty_flags=()
[[ -t 0 && -t 1 ]] && tty_flags=(-it)
exec docker run --rm "${tty_flags[@]}" \
  --privileged \
  -v "$project:/workspace" \
  -v reproimage-bazel-output:/root/.cache/bazel \
  -v reproimage-bazel-repository-cache:/var/cache/reproimage/bazel-repository-cache \
  -w /workspace \
  "$image" bash -c "$1"
