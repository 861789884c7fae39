#!/usr/bin/env bash
# bench/run.sh [--only SECTION,...] [--repeat N]: runs the benchmarks (bench/README.md).
#
#   ./bench/run.sh                                  # everything, full sizes
#   REPROIMAGE_BENCH_SCALE=0.05 ./bench/run.sh      # a quick smoke run
#   ./bench/run.sh --only layers,parallel
#
# From the host it re-executes itself inside the build environment (scripts/buildenv/run.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

if [[ ! -f /etc/reproimage-buildenv ]]; then
  exec "$repo/scripts/buildenv/run.sh" -- /workspace/bench/run.sh "$@"
fi

cd "$repo"
PYTHONDONTWRITEBYTECODE=1 exec python3 -m bench.bench "$@"
