#!/usr/bin/env bash
# ./e2e/hermetic_cc_test.sh: the C/C++ toolchain uses nothing of the machine.
#
# The native targets built with the machine's compilers, binutils and headers hidden from every
# action (and a PATH holding only python3) are byte-identical to a plain build in another
# checkout path.
# Runs inside the build environment (it enters it itself), in fresh copies of the workspace with
# fresh output bases; prints `N passed, N failed` last. Part of ./scripts/test.sh.
#
#   A  <work>/a/src                                plain
#   B  <work>/b/a much deeper/build path/src       --sandbox_block_path on /usr/include,
#      /usr/lib/gcc, /usr/libexec/gcc and the files behind cc, gcc, g++, cpp, clang, ld, as, ...;
#      a PATH holding only python3 (for py_binary launchers); --incompatible_strict_action_env;
#      tests run there too.
#
# Then: every ELF file and archive the native targets produce is the same in A and B, none
# holds a path of either build, and the probe action saw the hidden paths in A but not in B.
set -uo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
. "$project/scripts/format.sh"
. "$project/scripts/checks.sh"
no_arguments "$@"
in_buildenv

work=/var/tmp/reproimage-hermetic-cc
rm -rf "$work"
mkdir -p "$work"
started=$SECONDS

# The native targets: the toolchain's tests and test data, the ELF reader's, the JNI library.
packages=(//toolchains/cc/... //tools/elf/... //shuffler/native/...)
outputs=(toolchains/cc shuffler/native tools/elf)

# The paths to hide: compilers' and binutils' real files (blocking a symlink whose target is
# blocked too fails inside the sandbox, so only resolved files), and the directories of GCC's
# headers, libraries and programs.
hidden=(/usr/include /usr/lib/gcc /usr/libexec/gcc)
for tool in cc c++ gcc g++ cpp clang clang++ ld ld.bfd ld.gold ld.lld lld as ar nm objcopy strip; do
  path=$(command -v "$tool" 2>/dev/null) || continue
  real=$(readlink -f "$path")
  [[ " ${hidden[*]} " == *" $real "* ]] || hidden+=("$real")
done
block=()
for path in "${hidden[@]}"; do
  [[ -e $path ]] && block+=("--sandbox_block_path=$path")
done
probe_env="--action_env=PROBE_PATHS=${hidden[*]}"

bazel_in() {  # bazel_in NAME SRC BAZEL_ARGS...: runs bazel in SRC with NAME's own output root
  local name=$1 src=$2
  shift 2
  (cd "$src" && bazel --output_user_root="$work/$name/out" "$@")
}

# timed NAME SRC LOG BAZEL_ARGS...: a build, its time recorded in $work/NAME.time
timed() {
  local name=$1 src=$2 log=$3
  shift 3
  local t0=$SECONDS
  bazel_in "$name" "$src" "$@" >"$log" 2>&1
  local status=$?
  echo $((SECONDS - t0)) >>"$work/$name.time"
  ((status == 0)) || { echo "bazel $* failed in $src (status $status):"; tail -20 "$log"; }
  return $status
}

a_src="$work/a/src"
b_src="$work/b/a much deeper/build path/src"
copy_workspace "$project" "$a_src"
copy_workspace "$project" "$b_src"

build_a() {
  timed a "$a_src" "$work/a/fetch.log" fetch @clang16_tools//:files @clang16_sysroot//:files &&
    timed a "$a_src" "$work/a/build.log" build "${packages[@]}" &&
    timed a "$a_src" "$work/a/probe.log" build //toolchains/cc/tests:hermeticity_probe "$probe_env"
}

# PATH holds one program: python3, which Bazel 7's py_binary launcher (`#!/usr/bin/env python3`,
# e.g. the jar extractor's) needs only to start the pinned interpreter it ships as an input; the
# same thing a remote worker's platform declares. Nothing else of the machine is on it.
launcher_path="$work/launcher-path"
mkdir -p "$launcher_path"
ln -s "$(command -v python3)" "$launcher_path/python3"
hidden_flags=(--incompatible_strict_action_env --action_env=PATH="$launcher_path" --host_action_env=PATH="$launcher_path"
  --repo_env=PATH=/usr/local/bin:/usr/bin:/bin "${block[@]}")

build_b() {
  # Repository rules (deb.tree runs python3) keep a PATH: only actions are under test.
  timed b "$b_src" "$work/b/fetch.log" fetch @clang16_tools//:files @clang16_sysroot//:files --repo_env=PATH=/usr/local/bin:/usr/bin:/bin &&
    timed b "$b_src" "$work/b/build.log" build "${packages[@]}" "${hidden_flags[@]}" &&
    # The tests' own launchers (java_test's is a shell script) need a PATH; their actions are
    # tests, not compiles, and still cannot see what is hidden.
    timed b "$b_src" "$work/b/test.log" test "${packages[@]}" "${hidden_flags[@]}" --test_env=PATH=/usr/bin:/bin &&
    timed b "$b_src" "$work/b/probe.log" build //toolchains/cc/tests:hermeticity_probe "${hidden_flags[@]}" "$probe_env"
}

# digests NAME: "<sha256>  <path>" of every ELF file and ar archive under the native packages.
digests() {
  local bin
  bin=$(bazel_in "$1" "$([[ $1 == a ]] && echo "$a_src" || echo "$b_src")" info bazel-bin 2>/dev/null) || return 1
  (cd "$bin" && find "${outputs[@]}" -type f ! -path '*.runfiles/*' -print0 2>/dev/null | sort -z |
    while IFS= read -r -d '' f; do
      magic=$(head -c 8 "$f" | od -An -c | tr -d ' \n')
      case $magic in \177ELF*|'!<arch>\n') sha256sum "$f" ;; esac
    done)
}

outputs_identical() {
  digests a >"$work/a.digests" && digests b >"$work/b.digests" || return 1
  local count
  count=$(wc -l <"$work/a.digests")
  echo "$count ELF files and archives compared"
  ((count >= 10)) || { echo "too few outputs found"; return 1; }
  grep -q 'libaggregation-jni.so$' "$work/a.digests" || { echo "no libaggregation-jni.so among them"; return 1; }
  diff "$work/a.digests" "$work/b.digests"
}

no_build_path_in_outputs() {
  local bin status=0
  bin=$(bazel_in b "$b_src" info bazel-bin 2>/dev/null) || return 1
  while read -r _ f; do
    for needle in "$work" "a much deeper" "$(dirname "$bin")" /workspace; do
      if grep -qaF "$needle" "$bin/$f"; then echo "$f holds '$needle'"; status=1; fi
    done
  done <"$work/b.digests"
  return $status
}

probe_saw_the_hiding() {
  local a b
  a=$(cat "$(bazel_in a "$a_src" info bazel-bin 2>/dev/null)/toolchains/cc/tests/hermeticity_probe.txt") || return 1
  b=$(cat "$(bazel_in b "$b_src" info bazel-bin "${hidden_flags[@]}" 2>/dev/null)/toolchains/cc/tests/hermeticity_probe.txt") || return 1
  printf 'plain build:\n%s\nhidden build:\n%s\n' "$a" "$b"
  # The plain build's actions see every path (the control); the hidden build's see none, and
  # can run no compiler by name.
  ! grep -q '^hidden ' <<<"$a" && grep -q '^visible ' <<<"$a" && ! grep -q '^visible ' <<<"$b" &&
    ! grep -q '^runnable ' <<<"$b" && grep -q '^runnable gcc' <<<"$a"
}

check "plain build in $a_src" build_a
check "build and tests with the machine's compilers and headers hidden, in '$b_src'" build_b
check "every ELF file and archive is byte-identical in both builds" outputs_identical
check "no output holds a path of the build" no_build_path_in_outputs
check "the hidden paths were visible to the plain build's actions, not to the hidden build's" probe_saw_the_hiding

for name in a b; do
  (cd "$([[ $name == a ]] && echo "$a_src" || echo "$b_src")" && bazel --output_user_root="$work/$name/out" shutdown) >/dev/null 2>&1
done
times=()
for t in $(sed -n 1,2p "$work/a.time" 2>/dev/null) $(sed -n 1,3p "$work/b.time" 2>/dev/null); do times+=("$(human_duration "$t")"); done
printf 'times: A fetch %s, build %s | B fetch %s, build %s, test %s\n' "${times[@]}"
echo "hidden from B's actions: ${hidden[*]}"
[[ -f $work/a.digests ]] && echo "compared: $(wc -l <"$work/a.digests") ELF files and archives, e.g." &&
  grep -E 'libaggregation-jni.so$|aggregator_test$|checkpoint_test$' "$work/a.digests" | sed 's/^/  /' 
rm -rf "$work" 2>/dev/null || { chmod -R u+w "$work" && rm -rf "$work"; }
echo "hermetic_cc_test.sh: finished in $(human_duration $((SECONDS - started)))"
checks_summary
