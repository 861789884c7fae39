#!/usr/bin/env bash
# ./scripts/buildenv/create.sh [--accept-drift] [--force] [--verify]: creates the build environment.
#
# Once, then cached: creates a Debian testing root file system holding Bazel 7.7.1 and Debian's
# packaged Bazel modules, installs the versions recorded in environment.lock, and checks what was
# installed against that lock. Prints the root's path on stdout.
#
#   --accept-drift  accept any difference from the lock and rewrite environment.lock
#                   (also REPROIMAGE_ACCEPT_DRIFT=1)
#   --force         recreate the root even when a finished one exists
#   --verify        only compare an existing root with the lock (exit 1 on decisive drift)
#
# Mirror: snapshot.debian.org at the lock's timestamp, where every locked version exists; when
# the snapshot cannot be reached, deb.debian.org with a warning (a moving suite: versions may
# drift, and the check below decides whether that matters).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

accept_drift=${REPROIMAGE_ACCEPT_DRIFT:-0}
force=0
verify=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --accept-drift) accept_drift=1 ;;
    --force) force=1 ;;
    --verify) verify=1 ;;
    -h | --help) script_help ;;
    -*) usage_error "unknown option '$1'" ;;
    *) usage_error "unexpected argument '$1'" ;;
  esac
  shift
done

require_root
[[ -f $LOCK_FILE ]] || die "missing $LOCK_FILE: run with --accept-drift to create it"

root=$(environment_root)
if ((verify)); then
  [[ -f $root/$INSIDE_MARKER ]] || die "no finished build environment at $root to verify"
  install -m 0644 "$LOCK_FILE" "$root/usr/share/reproimage/environment.lock.verify"
  install -m 0644 "$BUILDENV_DIR/packages.txt" "$root/usr/share/reproimage/packages.txt.verify"
  install -m 0644 "$BUILDENV_DIR/check_lock.py" "$root/usr/share/reproimage/check_lock.py"
  ENTER_WITHOUT_CACHES=1 exec "$BUILDENV_DIR/enter.sh" "$root" "$BUILDENV_DIR" python3 /usr/share/reproimage/check_lock.py \
    --lock /usr/share/reproimage/environment.lock.verify --installed /usr/share/reproimage/installed.txt --suite "$SUITE" \
    --packages /usr/share/reproimage/packages.txt.verify
fi
if [[ -f $root/$INSIDE_MARKER && $force == 0 ]]; then
  install_config "$root"
  printf '%s\n' "$root"
  exit 0
fi

for tool in unshare pivot_root mount curl sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed on this host (it is part of util-linux/curl/coreutils)"
done
if ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || die "debootstrap is not installed and this host has no apt-get: install debootstrap"
  log "installing debootstrap on the host (apt-get)"
  apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq debootstrap >/dev/null 2>&1; } ||
    die "could not install debootstrap with apt-get: install it by hand"
fi

parent=$(dirname "$root")
mkdir -p "$parent" || die "cannot create $parent (set REPROIMAGE_CACHE or REPROIMAGE_BUILDENV_ROOT to a writable place)"
free_mib=$(df -Pm "$parent" | awk 'NR == 2 { print $4 }')
((free_mib >= REQUIRED_SPACE_MIB)) ||
  die "not enough space in $parent: ${free_mib} MiB free, ${REQUIRED_SPACE_MIB} MiB needed (free some, or set REPROIMAGE_CACHE to another disk)"

# One creator at a time per cache; a second caller waits, then finds the root ready.
exec 9>"$parent/.create.lock"
flock 9
if [[ -f $root/$INSIDE_MARKER && $force == 0 ]]; then
  install_config "$root"
  printf '%s\n' "$root"
  exit 0
fi

started=$SECONDS
staging="$root.partial"
logfile="$parent/$(basename "$root").log"
rm -rf "$staging"
: >"$logfile"
trap 'rc=$?; if ((rc != 0)); then rm -rf "$staging" "$staging.err"; fi' EXIT

snapshot=$(lock_value snapshot)
snapshot_url=${REPROIMAGE_SNAPSHOT_URL:-$SNAPSHOT_URL}
mirror=${REPROIMAGE_MIRROR:-}
if [[ -z $mirror ]]; then
  if [[ -n $snapshot ]] && curl -fsS --max-time 15 -o /dev/null "$snapshot_url/$snapshot/dists/$SUITE/InRelease" 2>>"$logfile"; then
    mirror="$snapshot_url/$snapshot"
    pinned=1
  else
    mirror=$FALLBACK_MIRROR
    warn "snapshot.debian.org ($snapshot_url/$snapshot) is unreachable; using $mirror, whose $SUITE moves: installed versions are checked against the lock"
  fi
fi
pinned=${pinned:-0}

step() { log "$(printf '[%3ss] %s' $((SECONDS - started)) "$*")"; }

step "1/4 debootstrap $SUITE from $mirror (about 30 s)"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$staging" "$mirror" \
  "/usr/share/debootstrap/scripts/$DEBOOTSTRAP_SCRIPT" >>"$logfile" 2>&1 ||
  die "debootstrap of $SUITE from $mirror failed (see $logfile)"

# Host CA certificates: this workplace's proxies re-sign TLS, and pip/Bazel inside need them.
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  cp -r /usr/local/share/ca-certificates/. "$staging/usr/local/share/ca-certificates/"
fi
install_config "$staging"
for f in packages.txt environment.conf install_packages.sh ../format.sh; do
  install -m 0755 "$BUILDENV_DIR/$f" "$staging/usr/share/reproimage/${f#../}"
done
install -m 0644 "$LOCK_FILE" "$staging/usr/share/reproimage/environment.lock.expected"

step "2/4 installing $(grep -cv '^\s*\(#\|$\)' "$BUILDENV_DIR/packages.txt") packages and their dependencies, checking them against $(basename "$LOCK_FILE") (about 1 min)"
ENTER_WITHOUT_CACHES=1 "$BUILDENV_DIR/enter.sh" "$staging" "$BUILDENV_DIR" \
  sh /usr/share/reproimage/install_packages.sh "$SUITE" "$mirror" "$pinned" "$accept_drift" >>"$logfile" 2>"$staging.err" || {
  # check_lock.py's verdict is the user's to read; apt's noise stays in the log.
  grep '^\[buildenv\]' "$staging.err" >&2 || true
  cat "$staging.err" >>"$logfile"
  rm -f "$staging.err"
  die "installing packages failed (see $logfile)"
}
grep '^\[buildenv\]' "$staging.err" >&2 || true
cat "$staging.err" >>"$logfile"
rm -f "$staging.err"

step "3/4 recording"
if ((accept_drift)); then
  cp "$staging/usr/share/reproimage/environment.lock.new" "$LOCK_FILE.tmp"
  mv "$LOCK_FILE.tmp" "$LOCK_FILE"
  cp "$LOCK_FILE" "$staging/usr/share/reproimage/environment.lock.expected"
  log "rewrote $LOCK_FILE"
  root=$(environment_root)
fi

step "4/4 finishing"
printf 'suite=%s\nmirror=%s\n' "$SUITE" "$mirror" >"$staging/$INSIDE_MARKER"
rm -rf "$root"
mv "$staging" "$root"
trap - EXIT
step "build environment ready in $(human_duration $((SECONDS - started))): $root"
printf '%s\n' "$root"
