#!/usr/bin/env bash
# ./scripts/remote_cluster.sh start|stop|status|clean: a local remote-execution cluster (BuildGrid + two buildbox workers).
#
# Three "hosts", each in its own network namespace joined by a bridge on the machine: the server
# (BuildGrid 0.4.4, a Remote Execution API server with CAS, action cache and scheduler, and the
# PostgreSQL its scheduler needs) and two workers (buildbox-casd, buildbox-worker and the
# bubblewrap runner, which shows an action only its inputs and the read-only /usr, /bin, /lib,
# /lib64 of the build environment, with /etc/alternatives, /etc/ssl and /etc/containers, the
# configuration its tools read). Runs inside the build environment (it enters it itself);
# BuildGrid is installed from scripts/remote/requirements_lock.txt (sha256-pinned) into a venv
# in the cache, once.
#
#   start   starts the cluster, waits until the server answers, prints the address on stdout:
#           grpc://10.77.0.10:50051 (use with --config=remote or --config=remote_cache)
#   stop    stops every process of the cluster and removes its network; the CAS stays on disk
#   status  prints `running <address>` or `stopped` (exit status 0 or 3)
#   clean   stops the cluster and deletes what it stored (CAS, database, worker caches, logs);
#           the BuildGrid venv stays. The server's CAS has no eviction: clean it now and then.
#
# State (CAS, database, logs) is in ~/.cache/reproimage/remote (REPROIMAGE_CACHE moves it).
# REPROIMAGE_REMOTE_SUBNET (default 10.77.0) chooses the cluster's /24: the machine is .1, the
# server .10, the workers .11 and .12.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
. "$project/scripts/format.sh"
case ${1-} in
  -h | --help) script_help ;;
  start | stop | status | clean) command=$1 ;;
  '') usage_error "no command given" ;;
  -*) usage_error "unknown option '$1'" ;;
  *) usage_error "unknown command '$1'" ;;
esac
[[ $# -eq 1 ]] || usage_error "unexpected argument '$2'"
in_buildenv "$@"

state=/var/cache/reproimage/remote
subnet=${REPROIMAGE_REMOTE_SUBNET:-10.77.0}
bridge=rimg0
server_ip=$subnet.10
address=grpc://$server_ip:50051
workers=(worker1 worker2)
pids=$state/pids
mkdir -p "$pids" "$state/logs"

die() { printf 'remote_cluster.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf '[remote] %s\n' "$*" >&2; }

alive() { [[ -f $pids/$1 ]] && kill -0 "$(cat "$pids/$1")" 2>/dev/null; }

daemon() {  # daemon NAME HOST CMD...: runs CMD in HOST's network namespace, in the background
  local name=$1 host=$2
  shift 2
  nsenter --net="/proc/$(cat "$pids/$host.netns")/ns/net" setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pids/$name"
  disown
}

host() {  # host NAME LAST_OCTET: a network namespace held by a sleeping process, on the bridge
  local name=$1 ip=$subnet.$2
  setsid unshare --net sleep infinity </dev/null >/dev/null 2>&1 &
  local holder=$!
  disown
  echo "$holder" >"$pids/$name.netns"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [[ $(readlink "/proc/$holder/ns/net") != "$(readlink /proc/self/ns/net)" ]] && break
    sleep 0.1
  done
  ip link add "ri-$name" type veth peer name eth0 netns "$holder"
  ip link set "ri-$name" master "$bridge" up
  nsenter --net="/proc/$holder/ns/net" sh -c "ip link set lo up && ip addr add $ip/24 dev eth0 && ip link set eth0 up"
}

wait_port() {  # wait_port IP PORT SECONDS NAME
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    alive "$4" || { tail -20 "$state/logs/$4.log" >&2; die "$4 exited (log: $state/logs/$4.log)"; }
    ((SECONDS < deadline)) || die "$4 is not listening on $1:$2 after $3 s (log: $state/logs/$4.log)"
    sleep 0.2
  done
}

venv() {  # prints the venv's path, installing BuildGrid into it the first time
  local lock=$project/scripts/remote/requirements_lock.txt key
  key=$(cat "$lock" /usr/share/reproimage/environment.lock.expected 2>/dev/null | sha256sum | cut -c1-16)
  local dir=$state/venv-$key
  # Built in place (a venv's scripts name its path); .complete marks a finished install.
  if [[ ! -f $dir/.complete ]]; then
    log "installing BuildGrid from $(basename "$lock") into $dir (about 40 s, once)"
    rm -rf "$dir"
    python3 -m venv "$dir" >&2
    "$dir/bin/pip" install -q --disable-pip-version-check --require-hashes --no-deps --only-binary=:all: \
      -r "$lock" >&2 || die "installing BuildGrid failed (pip, PyPI): see the lines above"
    touch "$dir/.complete"
  fi
  printf '%s\n' "$dir"
}

stop() {
  local name pid
  for name in "${workers[@]/%/.worker}" "${workers[@]/%/.casd}" server.bgd; do
    [[ -f $pids/$name ]] || continue
    pid=$(cat "$pids/$name")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for name in "${workers[@]/%/.worker}" "${workers[@]/%/.casd}" server.bgd; do
    [[ -f $pids/$name ]] || continue
    pid=$(cat "$pids/$name")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pids/$name"
  done
  if [[ -f $state/pg/postmaster.pid ]]; then
    runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$state/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  for name in server "${workers[@]}"; do
    [[ -f $pids/$name.netns ]] || continue
    kill -KILL "$(cat "$pids/$name.netns")" 2>/dev/null || true
    rm -f "$pids/$name.netns"
  done
  ip link del "$bridge" 2>/dev/null || true
  # The casd's FUSE/staging mounts, if one died holding them.
  for name in "${workers[@]}"; do
    grep -o " $state/$name/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  done
}

case $command in
  status)
    if alive server.bgd && (exec 3<>"/dev/tcp/$server_ip/50051") 2>/dev/null; then
      echo "running $address"
      exit 0
    fi
    echo stopped
    exit 3
    ;;
  stop)
    stop
    log "stopped"
    exit 0
    ;;
  clean)
    stop
    rm -rf "$state/cas" "$state/pg" "$state/pgsock" "$state/logs" "${workers[@]/#/$state/}"
    log "stopped; its CAS, database and worker caches are deleted"
    exit 0
    ;;
esac

started=$SECONDS
if alive server.bgd; then
  log "already running"
  echo "$address"
  exit 0
fi
stop
bin=$(venv)
trap 'rc=$?; ((rc == 0)) || stop' EXIT

ip link add "$bridge" type bridge
ip addr add "$subnet.1/24" dev "$bridge"
ip link set "$bridge" up
host server 10
host worker1 11
host worker2 12

# PostgreSQL in the server's namespace, reached through its socket in the state directory.
pgbin=$(echo /usr/lib/postgresql/*/bin)
if [[ ! -f $state/pg/PG_VERSION ]]; then
  rm -rf "$state/pg"
  install -d -o postgres -g postgres "$state/pg"
  runuser -u postgres -- "$pgbin/initdb" -D "$state/pg" -U postgres --auth=trust >"$state/logs/initdb.log" 2>&1 ||
    die "initdb failed (log: $state/logs/initdb.log)"
fi
install -d -o postgres -g postgres "$state/pgsock" "$state/logs/postgres"
nsenter --net="/proc/$(cat "$pids/server.netns")/ns/net" runuser -u postgres -- "$pgbin/pg_ctl" -D "$state/pg" -w -l "$state/logs/postgres/postgres.log" \
  -o "-c listen_addresses='' -k $state/pgsock" start >/dev/null || die "PostgreSQL did not start (log: $state/logs/postgres/postgres.log)"
runuser -u postgres -- "$pgbin/psql" -h "$state/pgsock" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'bgd'" | grep -q 1 ||
  runuser -u postgres -- "$pgbin/createdb" -h "$state/pgsock" -U postgres bgd
database="postgresql+psycopg2://postgres@/bgd?host=$state/pgsock"
"$bin/bin/bgd" migrate apply "$database" >"$state/logs/migrate.log" 2>&1 || die "bgd migrate failed (log: $state/logs/migrate.log)"

sed -e "s|@STATE@|$state|g" -e "s|@ADDRESS@|$server_ip:50051|g" -e "s|@DATABASE@|$database|g" \
  "$project/scripts/remote/buildgrid.yml" >"$state/buildgrid.yml"
daemon server.bgd server "$bin/bin/bgd" server start "$state/buildgrid.yml"
wait_port "$server_ip" 50051 60 server.bgd

# Each worker: a CAS daemon (the worker's local cache, staging inputs) and the worker, in one
# mount namespace (casd stages through mounts the worker must see) and the worker's network.
# Inputs are staged as hard links out of casd's cache, not through buildbox-fuse: under load the
# FUSE staging gave actions intermittent EIO on their inputs (a staged python3.11, an execvp).
runner_args=(--runner-arg=--staging-mode=copy-or-link)
# The environment's /usr and the configuration its tools read: /etc/alternatives (awk, ...),
# /etc/ssl (openssl's configuration, the CA bundle), /etc/containers (skopeo's signature policy).
for dir in /usr /bin /lib /lib64 /etc/alternatives /etc/ssl /etc/containers; do
  # /bin, /lib, /lib64 are links into /usr (merged /usr): bwrap binds the directory they name.
  [[ -e $dir ]] && runner_args+=("--runner-arg=--ro-bind-mount=$(readlink -f "$dir"):$dir")
done
for name in "${workers[@]}"; do
  mkdir -p "$state/$name/cache"
  daemon "$name.casd" "$name" buildbox-casd --cas-remote="http://$server_ip:50051" --cas-instance=main \
    --bind="unix:$state/$name/casd.sock" --quota-high=10G "$state/$name/cache"
  for _ in $(seq 100); do [[ -S $state/$name/casd.sock ]] && break; sleep 0.1; done
  [[ -S $state/$name/casd.sock ]] || die "$name's buildbox-casd did not start (log: $state/logs/$name.casd.log)"
  # The casd serves the remote instance `main` under its own default instance "".
  daemon "$name.worker" "$name" buildbox-worker --bots-instance=main --bots-remote="http://$server_ip:50051" \
    --cas-remote="unix:$state/$name/casd.sock" --retry-on-code=RESOURCE_EXHAUSTED --retry-on-code=UNAVAILABLE \
    --retry-limit=10 --retry-delay=500 \
    --buildbox-run=/usr/bin/buildbox-run-bubblewrap "${runner_args[@]}" --platform OSFamily=linux "$name"
done
sleep 1
for name in "${workers[@]}"; do
  alive "$name.worker" || die "$name's buildbox-worker exited (log: $state/logs/$name.worker.log)"
done
trap - EXIT
log "cluster up in $(human_duration $((SECONDS - started))): server $server_ip, workers $subnet.11, $subnet.12"
echo "$address"
