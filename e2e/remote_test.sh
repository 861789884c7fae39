#!/usr/bin/env bash
# ./e2e/remote_test.sh: every image builds on a remote-execution cluster with the committed digests.
#
# Starts the local cluster (scripts/remote_cluster.sh: BuildGrid + two buildbox workers, each in
# its own network namespace), restarted so its action cache is empty, and in fresh copies of the
# workspace with fresh output bases:
#
#   A  <work>/a/src                    --config=remote: every action runs on the workers
#                                      (the summary counts `remote`, no `linux-sandbox`)
#   B  <work>/b/another path/src       --config=remote: every action is a remote cache hit
#   C  <work>/c/src                    --config=remote_cache: the cache alone serves a local build
#
# Each build's //:image_hashes equals e2e/expected_hashes.json; the action keys of A and B are
# the same (tools/actionkey). Stops the cluster; no process of it is left. Runs inside the build
# environment (it enters it itself); prints `N passed, N failed` last. Part of ./scripts/test.sh.
set -uo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
. "$project/scripts/format.sh"
. "$project/scripts/checks.sh"
no_arguments "$@"
in_buildenv

work=/var/tmp/reproimage-remote-e2e
rm -rf "$work"
mkdir -p "$work"
started=$SECONDS
# The cluster's stored data goes at the end: its CAS has no eviction and would grow run by run.
trap '"$project/scripts/remote_cluster.sh" clean >/dev/null 2>&1' EXIT

build() {  # build NAME SRC BAZEL_ARGS...: //:image_hashes in SRC with NAME's own output root
  local name=$1 src=$2
  shift 2
  local t0=$SECONDS
  (cd "$src" && bazel --output_user_root="$work/$name/out" build "$@" --execution_log_json_file="$work/$name.json" \
    //:image_hashes >"$work/$name.log" 2>&1)
  local status=$?
  echo "$name: $((SECONDS - t0))s" >>"$work/times"
  cp "$src/bazel-bin/image_hashes.json" "$work/$name.hashes.json" 2>/dev/null
  (cd "$src" && bazel --output_user_root="$work/$name/out" shutdown) >/dev/null 2>&1
  ((status == 0)) || { echo "bazel build $* failed in $src (status $status):"; tail -20 "$work/$name.log"; return 1; }
}

summary() { grep -E '^INFO: [0-9]+ processes' "$work/$1.log" | tail -1; }

same_hashes() {  # same_hashes NAME: the build's release manifest is the committed one
  [[ -f $work/$1.hashes.json ]] || { echo "build $1 wrote no image_hashes.json"; return 1; }
  python3 - "$work/$1.hashes.json" "$project/e2e/expected_hashes.json" <<'PY'
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:])
bad = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
for k in bad:
    print(f"{k}: built {got.get(k)}, expected {want.get(k)}")
sys.exit(1 if bad or not want else 0)
PY
}

all_remote() {  # all_remote NAME: spawns ran remotely, none in a local sandbox
  local line
  line=$(summary "$1")
  echo "$line"
  [[ $line == *" remote."* || $line == *" remote,"* ]] && [[ $line != *linux-sandbox* && $line != *" local"* ]]
}

all_cache_hits() {  # all_cache_hits NAME: every spawn was a remote cache hit, none executed
  local line
  line=$(summary "$1")
  echo "$line"
  [[ $line == *"remote cache hit"* ]] && ! grep -Eq '[0-9]+ (remote|linux-sandbox|local|processwrapper-sandbox)[.,]' <<<"$line"
}

# A cold start: no CAS or action cache left from an earlier run.
"$project/scripts/remote_cluster.sh" clean >/dev/null 2>&1
check "the cluster starts and prints its address" sh -c "'$project/scripts/remote_cluster.sh' start >'$work/address' && grep -q '^grpc://' '$work/address'"
address=$(cat "$work/address" 2>/dev/null)
remote=(--config=remote "--remote_executor=$address")
copy_workspace "$project" "$work/a/src"
copy_workspace "$project" "$work/b/another path/src"
copy_workspace "$project" "$work/c/src"

check "A: every image builds with --config=remote from a clean output base" build a "$work/a/src" "${remote[@]}"
check "A: every action ran remotely, none in linux-sandbox" all_remote a
check "A: the digests equal e2e/expected_hashes.json" same_hashes a
check "B: another checkout path and output base builds everything from the remote cache" build b "$work/b/another path/src" "${remote[@]}"
check "B: every action was a remote cache hit (0 executed)" all_cache_hits b
check "B: the digests equal e2e/expected_hashes.json" same_hashes b
check "A and B: every action key is the same (tools/actionkey)" \
  bash -c "cd '$work/a/src' && bazel --output_user_root='$work/a/out' run //tools/actionkey:action_key_check -- --a='$work/a.json' --b='$work/b.json'"
check "C: --config=remote_cache alone builds the committed digests" build c "$work/c/src" --config=remote_cache "--remote_cache=$address"
check "C: every action was a remote cache hit" all_cache_hits c
check "C: the digests equal e2e/expected_hashes.json" same_hashes c
(cd "$work/a/src" && bazel --output_user_root="$work/a/out" shutdown) >/dev/null 2>&1

# Every process the cluster started (its pid files, PostgreSQL's postmaster), recorded before stop.
cluster_pids=$(cat /var/cache/reproimage/remote/pids/* 2>/dev/null; head -1 /var/cache/reproimage/remote/pg/postmaster.pid 2>/dev/null)
no_process_left() {
  local pid
  [[ -n $cluster_pids ]] || { echo "no process of the cluster was recorded"; return 1; }
  for pid in $cluster_pids; do
    # A killed process whose parent has not reaped it yet (state Z) is no longer running.
    if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid") != Z* ]]; then ps -o pid,stat,args -p "$pid"; return 1; fi
  done
  ! ls /var/cache/reproimage/remote/pids/* 2>/dev/null && ! ip link show rimg0 2>/dev/null
}
"$project/scripts/remote_cluster.sh" stop >/dev/null 2>&1
check "the cluster stops: none of its $(wc -w <<<"$cluster_pids") processes is left, nor its network" no_process_left

sed 's/^/  /' "$work/times"
echo "remote_test.sh: finished in $(human_duration $((SECONDS - started)))"
checks_summary
