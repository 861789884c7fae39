#!/usr/bin/env bash
# run.sh [--accept-drift] [--] CMD [ARG...]: runs CMD inside the pinned build environment.
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
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (run.sh accepts --accept-drift; put -- before a command that starts with -)" ;;
    *) break ;;
  esac
  shift
done
[[ $# -gt 0 ]] || die "usage: run.sh [--accept-drift] [--] CMD [ARG...]"

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
