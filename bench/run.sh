#!/usr/bin/env bash
# ./bench/run.sh [--only SECTION,...] [--repeat N]: runs the benchmarks (bench/README.md).
#
#   ./bench/run.sh                                  # everything, full sizes
#   REPROIMAGE_BENCH_SCALE=0.05 ./bench/run.sh      # a quick smoke run
#   ./bench/run.sh --only layers,parallel
#
# From the host it re-executes itself inside the build environment (scripts/buildenv/run.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
. "$repo/scripts/format.sh"
# Checked here, before entering the build environment; bench/bench.py parses them.
args=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) script_help ;;
    --only | --repeat) [[ $# -ge 2 ]] || usage_error "$1 needs a value"; shift ;;
    --only=* | --repeat=*) ;;
    -*) usage_error "unknown option '$1'" ;;
    *) usage_error "unexpected argument '$1'" ;;
  esac
  shift
done
set -- "${args[@]+"${args[@]}"}"

if [[ ! -f /etc/reproimage-buildenv ]]; then
  exec "$repo/scripts/buildenv/run.sh" -- /workspace/bench/run.sh "$@"
fi

cd "$repo"
PYTHONDONTWRITEBYTECODE=1 exec python3 -m bench.bench "$@"
