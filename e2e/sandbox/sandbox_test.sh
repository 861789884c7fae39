#!/bin/sh
# In the initial user namespace uid_map is the identity over the whole range; linux-sandbox runs
# actions in a namespace of their own with a single-id map.
set -eu
map=$(cat /proc/self/uid_map | tr -s ' ')
echo "uid_map:$map"
case $map in
  *4294967295*) echo "not in a user namespace: the sandbox is not linux-sandbox" >&2; exit 1 ;;
esac
# The workspace is not writable from inside the sandbox.
if touch /workspace/.sandbox-probe 2>/dev/null; then
  rm -f /workspace/.sandbox-probe
  echo "the workspace is writable from inside an action" >&2
  exit 1
fi
