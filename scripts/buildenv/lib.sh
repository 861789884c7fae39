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
  local root=$1
  mkdir -p "$root/usr/share/reproimage"
  rm -rf "$root/usr/share/reproimage/stubs.new"
  cp -r "$BUILDENV_DIR/stubs" "$root/usr/share/reproimage/stubs.new"
  rm -rf "$root/usr/share/reproimage/stubs"
  mv "$root/usr/share/reproimage/stubs.new" "$root/usr/share/reproimage/stubs"
  install -m 0644 "$BUILDENV_DIR/bazel.bazelrc" "$root/etc/bazel.bazelrc"
  install -m 0755 "$BUILDENV_DIR/bazel-wrapper.sh" "$root/usr/local/bin/bazel"
  install -m 0644 "$BUILDENV_DIR/check_lock.py" "$root/usr/share/reproimage/check_lock.py"
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
