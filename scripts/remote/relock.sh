#!/usr/bin/env bash
# ./scripts/remote/relock.sh: rewrites requirements_lock.txt from requirements.in.
#
# Resolves with pip for CPython 3.14 on x86_64 (the build environment's python3), wheels only,
# and records every wheel's exact version and sha256. Needs pip and PyPI; run on any host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../format.sh"
no_arguments "$@"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
platforms=()
for p in manylinux_2_34_x86_64 manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 linux_x86_64; do
  platforms+=(--platform "$p")
done
pip download -q -r "$here/requirements.in" --python-version 3.14 --only-binary=:all: "${platforms[@]}" -d "$work"
{
  sed -n '1,3p' "$here/requirements_lock.txt"
  for wheel in "$work"/*.whl; do
    file=${wheel##*/}
    name=$(printf '%s' "${file%%-*}" | tr '_.' '--' | tr '[:upper:]' '[:lower:]')
    version=${file#*-}
    version=${version%%-*}
    printf '%s==%s \\\n    --hash=sha256:%s\n' "$name" "$version" "$(sha256sum "$wheel" | cut -d' ' -f1)"
  done
} >"$work/lock"
mv "$work/lock" "$here/requirements_lock.txt"
