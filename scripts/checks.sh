# Sourced by the project's shell tests: one PASS/FAIL line per check and the closing
# `N passed, N failed` line that ./scripts/test.sh adds up.

passed=0 failed=0

check() {  # check NAME CMD...: CMD's status decides; a failure shows the last 30 lines it printed
  local name=$1 log
  shift
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); printf 'PASS %s\n' "$name"
  else
    failed=$((failed + 1)); printf 'FAIL %s\n' "$name"; sed 's/^/    /' "$log" | tail -30
  fi
  rm -f "$log"
}

checks_summary() {  # checks_summary: the closing count line; the exit status says whether all passed
  echo "$passed passed, $failed failed"
  ((failed == 0))
}

# copy_workspace SRC DEST [UMASK]: the workspace's sources, without Bazel's convenience links,
# Git's data or the user's own Bazel settings (user.bazelrc may point at other servers or
# caches). With UMASK, the copy's modes are what a checkout made under that umask would have.
copy_workspace() {
  mkdir -p "$2"
  (cd "$1" && tar --exclude='./bazel-*' --exclude='./.git' --exclude='./user.bazelrc' -cf - .) |
    if [[ -n ${3-} ]]; then (umask "$3" && tar -xf - --no-same-permissions -C "$2"); else tar -xf - -C "$2"; fi
}
