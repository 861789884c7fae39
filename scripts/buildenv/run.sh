#!/usr/bin/env bash
# ./scripts/buildenv/run.sh [--accept-drift] [--] CMD [ARG...]: runs CMD inside the pinned build environment.
#
# Creates the environment on first use (see create.sh), then runs CMD in the root file system
# with the workspace mounted at /workspace, in the directory matching the caller's. Inside the
# environment already, it runs CMD directly.
#
#   ./scripts/buildenv/run.sh bazel version
#   ./scripts/buildenv/run.sh bazel test //...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

create_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --accept-drift) create_args+=(--accept-drift) ;;
    --) shift; break ;;
    -h | --help) script_help ;;
    -*) usage_error "unknown option '$1' (put -- before a command that starts with -)" ;;
    *) break ;;
  esac
  shift
done
[[ $# -gt 0 ]] || usage_error "no command given"

if [[ -f $INSIDE_MARKER ]]; then
  exec "$@"
fi

require_root
root=$("$BUILDENV_DIR/create.sh" "${create_args[@]}")

# Keep the caller's place in the tree, translated to the fixed mount point.
here=$(pwd -P)
case $here/ in
  "$PROJECT_DIR"/*) subdir=${here#"$PROJECT_DIR"} ;;
  *) subdir= ;;
esac
exec "$BUILDENV_DIR/enter.sh" "$root" "$PROJECT_DIR" /bin/sh -c 'cd "$0" && exec "$@"' "$WORKSPACE_MOUNT$subdir" "$@"
