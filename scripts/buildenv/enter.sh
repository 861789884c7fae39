#!/usr/bin/env bash
# ./scripts/buildenv/enter.sh ROOT WORKSPACE CMD...: runs CMD inside the build environment's root file system.
#
# A private mount namespace, the root bind-mounted onto itself and pivot_root'ed into: unlike a
# plain chroot this keeps user namespaces available, so Bazel's linux-sandbox works inside. The
# network namespace is shared, so services on the host's 127.0.0.1 stay reachable. No PID
# namespace: a Bazel server started here survives the command (it keeps its own mount
# namespace), so the next command reuses it. Internal: scripts/buildenv/run.sh calls it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1-} in -h | --help) script_help ;; -*) usage_error "unknown option '$1'" ;; esac
[[ $# -ge 3 ]] || usage_error "expected a root, a workspace and a command"
root=$1 workspace=$2
shift 2
require_root

# Per workspace and per root: two clones never share a Bazel server or output base, and a server
# started from an older root is never reused by a newer one.
# Set-up steps (create.sh) run no Bazel and pass ENTER_WITHOUT_CACHES=1.
if [[ ${ENTER_WITHOUT_CACHES:-0} == 1 ]]; then
  output_user_root= repository_cache= remote_state=
else
  ws_key=$(printf '%s' "$(realpath "$workspace")" | sha256sum | cut -c1-12)
  output_user_root="$CACHE_DIR/outputs/$(basename "$root")-$ws_key"
  repository_cache="$CACHE_DIR/repository-cache"
  # The local remote-execution cluster's state (scripts/remote_cluster.sh): shared by checkouts.
  remote_state="$CACHE_DIR/remote"
  mkdir -p "$output_user_root" "$repository_cache" "$remote_state"
fi

docker_config=${DOCKER_CONFIG:-$HOME/.docker}
[[ -d $docker_config ]] || docker_config=

# Variables a command may legitimately need from the host; everything else is dropped so the
# host's environment cannot steer the build.
# pip vendors its own CA list; point it (and Python's ssl) at the root's, which holds the host's
# CAs. rules_python runs pip with --isolated, which ignores PIP_CERT, unless told otherwise.
pass_env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  RULES_PYTHON_PIP_ISOLATED=0
  "TERM=${TERM:-dumb}")
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY REPROIMAGE_LIVE_TESTS \
  REPROIMAGE_BENCH_SCALE; do
  [[ -n ${!v:-} ]] && pass_env+=("$v=${!v}")
done
[[ -n $docker_config ]] && pass_env+=(DOCKER_CONFIG=/root/.docker)

exec unshare --mount --propagation private -- /bin/bash -euc '
root=$1 workspace=$2 outputs=$3 repocache=$4 docker_config=$5 mountpoint=$6 remote=$7 nenv=$8
shift 8
env_args=("${@:1:$nenv}")
shift "$nenv"
mount --rbind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mkdir -p "$root$mountpoint" "$root/root/.cache/bazel" "$root/var/cache/reproimage/bazel-repository-cache"
mount --bind "$workspace" "$root$mountpoint"
if [[ -n $outputs ]]; then
  mount --bind "$outputs" "$root/root/.cache/bazel"
  mount --bind "$repocache" "$root/var/cache/reproimage/bazel-repository-cache"
  mkdir -p "$root/var/cache/reproimage/remote"
  mount --bind "$remote" "$root/var/cache/reproimage/remote"
fi
if [[ -n $docker_config ]]; then
  mkdir -p "$root/root/.docker"
  mount --bind "$docker_config" "$root/root/.docker"
  mount -o remount,bind,ro "$root/root/.docker"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
umount -l /.oldroot
cd "$mountpoint"
exec env -i "${env_args[@]}" "$@"
' enter "$root" "$workspace" "$output_user_root" "$repository_cache" "$docker_config" \
  "$WORKSPACE_MOUNT" "$remote_state" "${#pass_env[@]}" "${pass_env[@]}" "$@"
