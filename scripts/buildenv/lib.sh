# Shared by the scripts/buildenv/*.sh scripts; sourced, never run.
# shellcheck shell=bash

BUILDENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(cd "$BUILDENV_DIR/../.." && pwd)
# shellcheck source=environment.conf
. "$BUILDENV_DIR/environment.conf"
# shellcheck source=../format.sh
. "$BUILDENV_DIR/../format.sh"
LOCK_FILE=${REPROIMAGE_ENVIRONMENT_LOCK:-$BUILDENV_DIR/environment.lock}
CACHE_DIR=${REPROIMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reproimage}
# Inside the environment this file exists; the scripts then run commands directly.
INSIDE_MARKER=/etc/reproimage-buildenv
# Where the workspace appears inside the environment: fixed, so no host path reaches an output.
WORKSPACE_MOUNT=/workspace

log() { printf '[buildenv] %s\n' "$*" >&2; }
warn() { printf '[buildenv] warning: %s\n' "$*" >&2; }
die() { printf '[buildenv] error: %s\n' "$*" >&2; exit 1; }

# The root's identity: everything that decides its content. A change to any of these files
# creates a new root beside the old one instead of mutating a root a running build may use.
environment_key() {
  cat "$BUILDENV_DIR/packages.txt" "$LOCK_FILE" "$BUILDENV_DIR/environment.conf" | sha256sum | cut -c1-16
}

# Configuration files are not part of the root's identity: they are copied in on every use, so
# editing them takes effect at once without recreating the root.
install_config() {  # install_config ROOT
  # Several checkouts may share one root and run at once: every file is replaced by a rename
  # (never removed first), and only when its content differs.
  local root=$1 share=$1/usr/share/reproimage
  mkdir -p "$share"
  local stubs_key
  stubs_key=$(cd "$BUILDENV_DIR/stubs" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
  if [[ ! -d $share/stubs-$stubs_key ]]; then
    rm -rf "$share/stubs-$stubs_key.$$"
    cp -r "$BUILDENV_DIR/stubs" "$share/stubs-$stubs_key.$$"
    mv -T "$share/stubs-$stubs_key.$$" "$share/stubs-$stubs_key" 2>/dev/null || rm -rf "$share/stubs-$stubs_key.$$"
  fi
  if [[ $(readlink "$share/stubs" 2>/dev/null) != "stubs-$stubs_key" ]]; then
    [[ -d $share/stubs && ! -L $share/stubs ]] && rm -rf "$share/stubs"  # a root made before links
    ln -sfn "stubs-$stubs_key" "$share/stubs.$$" && mv -T "$share/stubs.$$" "$share/stubs"
  fi
  install_file 0644 "$BUILDENV_DIR/bazel.bazelrc" "$root/etc/bazel.bazelrc"
  install_file 0755 "$BUILDENV_DIR/bazel-wrapper.sh" "$root/usr/local/bin/bazel"
  install_file 0644 "$BUILDENV_DIR/check_lock.py" "$share/check_lock.py"
}

install_file() {  # install_file MODE SRC DEST: DEST becomes SRC by one rename, if it differs
  local mode=$1 src=$2 dest=$3
  cmp -s "$src" "$dest" && return 0
  install -m "$mode" "$src" "$dest.$$" && mv -f "$dest.$$" "$dest"
}

environment_root() {
  if [[ -n ${REPROIMAGE_BUILDENV_ROOT:-} ]]; then
    printf '%s\n' "$REPROIMAGE_BUILDENV_ROOT"
  else
    printf '%s/buildenv/%s-%s\n' "$CACHE_DIR" "$SUITE" "$(environment_key)"
  fi
}

lock_value() {  # lock_value KEY: a header value of environment.lock
  awk -v k="$1" '$1 == k { print $2; exit }' "$LOCK_FILE"
}

require_root() {
  [[ $(id -u) -eq 0 ]] || die "needs root privileges (mount namespaces, pivot_root, debootstrap): run it with sudo, or as root"
}
