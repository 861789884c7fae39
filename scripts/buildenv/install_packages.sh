#!/bin/sh
# install_packages.sh SUITE MIRROR PINNED ACCEPT_DRIFT: installs the environment's packages, checks the lock.
# Runs INSIDE the environment's root as root: from create.sh (namespaced root) and from the
# Dockerfile (container build), so both environments are made by the same steps.
#
#   install_packages.sh SUITE MIRROR PINNED ACCEPT_DRIFT
#     MIRROR        apt source URL, or "auto": the snapshot in the lock, else FALLBACK_MIRROR
#     PINNED        1: MIRROR is the snapshot, install the locked versions exactly
#     ACCEPT_DRIFT  1: accept any difference and write /usr/share/reproimage/environment.lock.new
#
# Reads /usr/share/reproimage/{packages.txt,environment.lock.expected,environment.conf,check_lock.py}.
set -eu
# Run from /usr/share/reproimage, where create.sh and the Dockerfile copy it with format.sh, or
# from the checkout.
here=$(dirname "$0")
if [ -f "$here/format.sh" ]; then . "$here/format.sh"; else . "$here/../format.sh"; fi
case ${1-} in -h | --help) script_help ;; -*) usage_error "unknown option '$1'" ;; esac
[ $# -eq 4 ] || usage_error "expected 4 arguments, got $#"
suite=$1 mirror=$2 pinned=$3 accept_drift=$4
dir=/usr/share/reproimage
. "$dir/environment.conf"

update-ca-certificates --fresh >/dev/null 2>&1 || true
cat >/etc/apt/apt.conf.d/90reproimage <<APT
// Snapshots and testing's Release files may be past Valid-Until against today's clock.
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
rm -f /etc/apt/sources.list.d/*

use_mirror() {
  printf 'deb %s %s main\n' "$1" "$suite" >/etc/apt/sources.list
  # A mirror that cannot be reached is only a warning to plain `apt-get update`.
  apt-get update -q --error-on=any
}

snapshot=$(awk '$1 == "snapshot" { print $2 }' "$dir/environment.lock.expected")
if [ "$mirror" = auto ]; then
  if [ -n "$snapshot" ] && use_mirror "${SNAPSHOT_URL_OVERRIDE:-$SNAPSHOT_URL}/$snapshot"; then
    pinned=1
  else
    echo "[buildenv] warning: snapshot.debian.org unreachable; using $FALLBACK_MIRROR, whose $suite moves: installed versions are checked against the lock" >&2
    use_mirror "$FALLBACK_MIRROR"
  fi
else
  use_mirror "$mirror"
fi
# The InRelease date of the mirror is the snapshot timestamp that serves these versions.
mirror_date=$(sed -n 's/^Date: //p' /var/lib/apt/lists/*_InRelease 2>/dev/null | head -1)

if [ "$pinned" = 1 ]; then
  wanted=$(awk '$1 == "package" { print $2 "=" $3 }' "$dir/environment.lock.expected")
else
  wanted=$(grep -v '^[[:space:]]*\(#\|$\)' "$dir/packages.txt")
fi
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $wanted
apt-get clean
rm -rf /var/lib/apt/lists/*

# A locale whose case rules differ from English (dotted and dotless i): builds must not care.
if command -v localedef >/dev/null; then
  localedef -i tr_TR -f UTF-8 tr_TR.UTF-8
fi

dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' >"$dir/installed.txt"
if [ "$accept_drift" = 1 ]; then
  exec python3 "$dir/check_lock.py" --lock "$dir/environment.lock.expected" --installed "$dir/installed.txt" \
    --suite "$suite" --mirror-date "$mirror_date" --accept-drift --write-lock "$dir/environment.lock.new"
fi
exec python3 "$dir/check_lock.py" --lock "$dir/environment.lock.expected" --installed "$dir/installed.txt" --suite "$suite" \
  --packages "$dir/packages.txt"
