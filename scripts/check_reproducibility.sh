#!/usr/bin/env bash
# ./scripts/check_reproducibility.sh [--only NAME,...] [--each] [--keep]: builds every image under varied conditions.
#
# Every image digest, and the bytes of every image's SBOM, provenance and loadable tarball
# (//:release_evidence), built under the conditions below must equal the baseline: the same
# targets built in this checkout (incremental there, so after ./scripts/test.sh's bazel test it
# costs seconds). Prints a table (conditions x images) with what the actions saw of each condition
# (e2e/probe), which conditions could not be applied and why. Exit status 1 if anything differs.
#
# Conditions (--only takes these names): path (a deep build path with spaces), timezone, locale
# (tr_TR.UTF-8), clock (faketime, ten years ahead), home (HOME elsewhere), hostname (a UTS
# namespace of its own), aslr (address-space randomisation off, setarch -R), kernel (another
# kernel version string, setarch --uname-2.6), umask (a checkout under umask 077 and Bazel
# started under it), uid (another user), jobs (--jobs=1 on one CPU), fsorder (directory order
# shuffled, disorderfs), allexec and noexec (a checkout where every file is executable, as a
# remote worker reports, and one where none is), symlink (a build started from a symlinked path).
#
# Conditions that cannot interfere with one another share one cold build (a fresh copy of the
# workspace, a fresh output base): the process environment (path, timezone, locale, clock,
# home, hostname, aslr, kernel), the builder's identity (umask, uid, jobs), the file system
# (fsorder, allexec) and the checkout (noexec, symlink): four cold builds in all. A group whose
# result differs is built again one condition at a time, so the table names the condition that
# changed a byte. --each builds every condition on its own from the start (fifteen cold builds).
set -uo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
. "$project/scripts/format.sh"
. "$project/scripts/checks.sh"

conditions=(path timezone locale clock home hostname aslr kernel umask uid jobs fsorder allexec noexec symlink)
groups=("path timezone locale clock home hostname aslr kernel" "umask uid jobs" "fsorder allexec" "noexec symlink")
only="" keep=0 each=0
args=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --only)
      [[ $# -ge 2 && -n $2 ]] || usage_error "--only needs a comma-separated list of conditions"
      only=$2
      shift
      ;;
    --each) each=1 ;;
    --keep) keep=1 ;;
    -h | --help) script_help ;;
    -*) usage_error "unknown option '$1'" ;;
    *) usage_error "unexpected argument '$1'" ;;
  esac
  shift
done
for name in ${only//,/ }; do
  [[ " ${conditions[*]} " == *" $name "* ]] ||
    usage_error "unknown condition '$name' in --only (conditions: ${conditions[*]})"
done
in_buildenv "${args[@]+"${args[@]}"}"

# A directory of this run's own: checkouts sharing a build environment share /var/tmp, and a fixed
# path would let one run delete another's builds.
work=$(mktemp -d /var/tmp/reproimage-vary.XXXXXX)
chmod 0755 "$work"  # mktemp's 0700 would keep the other user of the uid condition out
mkdir -p "$work/results"
mounts=()
cleanup() {
  local mount
  for mount in "${mounts[@]+"${mounts[@]}"}"; do
    fusermount -u "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null
  done
  if ((keep)); then
    echo "check_reproducibility.sh: kept the builds in $work" >&2
    return
  fi
  rm -rf "$work" 2>/dev/null || { chmod -R u+w "$work" && rm -rf "$work"; }
}
trap cleanup EXIT
started=$SECONDS
declare -A skipped group_of

wanted() { [[ -z $only || ",$only," == *",$1,"* ]]; }

# The outputs compared, below bazel-bin: the release manifest, and every service's evidence
# (<pkg>/<image>_{sbom.spdx.json,provenance.intoto.json,tarball.tar}).
evidence_files() {
  python3 - "$project/shuffler/services/services.bzl" <<'PY'
import re, sys
for package, name in sorted(re.findall(r'"//([^:"]+):([^"]+)"', open(sys.argv[1]).read())):
    for suffix in ("_sbom.spdx.json", "_provenance.intoto.json", "_tarball.tar"):
        print(f"{package}/{name}{suffix}")
PY
}

# save NAME SRC: the manifest, the probe's report and the evidence digests of a build, asking
# `${bazel[@]} info bazel-bin ${flags[@]}` where the outputs are.
save() {
  local name=$1 src=$2
  local bin
  bin=$(cd "$src" && "${bazel[@]}" info bazel-bin "${flags[@]+"${flags[@]}"}" 2>/dev/null) || return 1
  cp "$bin/image_hashes.json" "$work/results/$name.json" &&
    cp "$bin/e2e/probe/conditions.txt" "$work/results/$name.seen" &&
    (cd "$bin" && for f in $(evidence_files); do sha256sum "$f"; done) >"$work/results/$name.evidence"
}

targets=(//:image_hashes //:release_evidence //e2e/probe:conditions)

# The baseline: this checkout, its own output base, nothing varied.
echo "[0s] building the baseline in $project" >&2
bazel=(bazel) flags=()
if ! (cd "$project" && bazel build "${targets[@]}") >"$work/baseline.log" 2>&1 || ! save baseline "$project"; then
  tail -5 "$work/baseline.log" >&2
  echo "the baseline build failed" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

faketime_lib=$(find /usr/lib -name libfaketime.so.1 2>/dev/null | head -1)

# apply CONDITION BUILD_DIR: adds what CONDITION changes to the build being prepared: `src` (the
# checkout, under BUILD_DIR), `prepare` (commands run on the copy), `wrap` (commands the bazel
# client runs under, outermost first), `flags` (Bazel flags), `setarch` flags, and `prefetch`
# (fetch the repositories before flags that would break downloads apply). Returns 1, with a reason
# in skipped[CONDITION], when this machine cannot apply it.
apply() {
  local condition=$1 dir=$2
  case $condition in
    path) src="$dir/a/much/deeper/build directory with spaces/src" ;;
    timezone)
      # The client's TZ reaches repository rules; --action_env reaches every action of our rules.
      env_vars+=(TZ=Pacific/Kiritimati)
      flags+=(--action_env=TZ=Pacific/Kiritimati)
      prefetch=1
      ;;
    locale)
      locale -a 2>/dev/null | grep -qi '^tr_TR.utf-\?8$' ||
        { skipped[locale]="no tr_TR.UTF-8 locale in this environment (scripts/buildenv/install_packages.sh makes it)"; return 1; }
      env_vars+=(LANG=tr_TR.UTF-8 LC_ALL=tr_TR.UTF-8)
      flags+=(--action_env=LANG=tr_TR.UTF-8 --action_env=LC_ALL=tr_TR.UTF-8)
      prefetch=1
      ;;
    clock)
      [[ -n $faketime_lib ]] && (($(LD_PRELOAD=$faketime_lib FAKETIME=+3650d date +%Y) >= $(date +%Y) + 9)) ||
        { skipped[clock]="libfaketime is not installed (Debian package faketime) or does not move the clock here"; return 1; }
      # Every action of our rules sees the clock ten years ahead. Bazel itself runs on the real
      # clock: it writes no time into outputs, and TLS downloads need it.
      flags+=(--action_env=LD_PRELOAD="$faketime_lib" --action_env=FAKETIME=+3650d
        --host_action_env=LD_PRELOAD="$faketime_lib" --host_action_env=FAKETIME=+3650d)
      prefetch=1
      ;;
    home)
      # A HOME that does not exist, for Bazel's client and repository rules and for every action.
      env_vars+=(HOME="$dir/no/such/home")
      flags+=(--action_env=HOME="$dir/no/such/home")
      prefetch=1
      ;;
    hostname)
      # The Bazel server, and so every action, inherits its client's namespaces and personality.
      unshare --uts true 2>/dev/null ||
        { skipped[hostname]="cannot create a UTS namespace here (unshare --uts failed)"; return 1; }
      wrap+=(unshare --uts sh -c 'hostname reproimage-other-host && exec "$@"' hostname)
      ;;
    aslr | kernel)
      local flag=-R
      [[ $condition == kernel ]] && flag=--uname-2.6
      setarch "$(uname -m)" $flag true 2>/dev/null ||
        { skipped[$condition]="setarch $flag is not available here"; return 1; }
      setarch_flags+=($flag)
      ;;
    umask)
      # Sources checked out under umask 077 (files 0600/0700), and Bazel started under it (it
      # resets the actions' own umask, as the table shows).
      copy_umask=077
      wrap+=(sh -c 'umask 077; exec "$@"' umask)
      ;;
    uid)
      setpriv --reuid=4242 --regid=4242 --clear-groups true 2>/dev/null ||
        { skipped[uid]="cannot switch to another user id here (setpriv failed)"; return 1; }
      # The user's own repository cache, a copy of root's: no download, and no file of root's.
      prepare+=("mkdir -p '$dir/home' && cp -a /var/cache/reproimage/bazel-repository-cache '$dir/repository-cache' && chown -R 4242:4242 '$dir'")
      wrap+=(setpriv --reuid=4242 --regid=4242 --clear-groups env HOME="$dir/home" USER=builder)
      flags+=(--repository_cache="$dir/repository-cache")
      ;;
    jobs)
      wrap+=(taskset -c 0)
      flags+=(--jobs=1)
      ;;
    fsorder)
      command -v disorderfs >/dev/null && [[ -e /dev/fuse ]] ||
        { skipped[fsorder]="disorderfs or /dev/fuse is missing"; return 1; }
      disorderfs_mount=1
      ;;
    allexec) prepare+=("find '%SRC%' -type f -exec chmod a+x {} +") ;;
    noexec) prepare+=("find '%SRC%' -type f -exec chmod a-x {} +") ;;
    symlink) via_symlink=1 ;;
  esac
}

# build NAME CONDITION...: one cold build with every CONDITION applied, in a fresh copy of the
# workspace with a fresh output base. Records which conditions it applied in group_of.
build() {
  local name=$1
  shift
  local dir="$work/$name" src="" copy_umask="" prefetch=0 disorderfs_mount=0 via_symlink=0
  local env_vars=() flags=() wrap=() prepare=() setarch_flags=() applied=()
  local condition
  for condition in "$@"; do
    apply "$condition" "$dir" && applied+=("$condition")
  done
  ((${#applied[@]})) || return 0
  src=${src:-$dir/src}
  local real=$src
  ((disorderfs_mount)) && real="$dir/real"
  copy_workspace "$project" "$real" "$copy_umask"
  local step
  for step in "${prepare[@]+"${prepare[@]}"}"; do
    sh -c "${step//%SRC%/$real}" || { echo "  preparing the copy for '$name' failed: $step" >&2; return 1; }
  done
  if ((disorderfs_mount)); then
    mkdir -p "$src"
    disorderfs --shuffle-dirents=yes --reverse-dirents=no --multi-user=yes "$real" "$src" >/dev/null 2>&1 ||
      { skipped[fsorder]="disorderfs could not mount (FUSE unavailable here)"; return 1; }
    mounts+=("$src")
  fi
  if ((via_symlink)); then
    ln -s "$src" "$dir/link"
    src="$dir/link"
  fi
  local bazel=()
  ((${#setarch_flags[@]})) && bazel+=(setarch "$(uname -m)" "${setarch_flags[@]}")
  bazel+=("${wrap[@]+"${wrap[@]}"}" env "${env_vars[@]+"${env_vars[@]}"}" bazel --output_user_root="$dir/output-root")
  local log="$dir/build.log"
  echo "[$((SECONDS - started))s] building under ${applied[*]} in $src" >&2
  if ((prefetch)); then
    # Bazel 7 passes --action_env to repository rules too (where a clock ten years ahead fails
    # TLS); fetch before those flags apply, as a user with a warm repository would have.
    (cd "$src" && "${bazel[@]}" fetch //:image_hashes //:release_evidence) >"$log.fetch" 2>&1
  fi
  (cd "$src" && "${bazel[@]}" build "${targets[@]}" "${flags[@]+"${flags[@]}"}") >"$log" 2>&1
  local status=$?
  if ((status == 0)); then
    save "$name" "$src" || status=1
  else
    echo "  build failed (status $status); last lines of $log:" >&2
    tail -5 "$log" | sed 's/^/    /' >&2
  fi
  (cd "$src" && "${bazel[@]}" shutdown) >/dev/null 2>&1
  if ((!keep)); then
    # Bazel leaves read-only directories in an output root: make them writable if rm cannot.
    rm -rf "$dir/output-root" 2>/dev/null || { chmod -R u+w "$dir/output-root" && rm -rf "$dir/output-root"; }
  fi
  for condition in "${applied[@]}"; do group_of[$condition]=$name; done
  return $status
}

# differs NAME: whether build NAME's digests or evidence differ from the baseline's.
differs() {
  ! cmp -s "$work/results/$1.json" "$work/results/baseline.json" ||
    ! cmp -s "$work/results/$1.evidence" "$work/results/baseline.evidence"
}

index=0
for group in "${groups[@]}"; do
  index=$((index + 1))
  members=()
  for condition in $group; do wanted "$condition" && members+=("$condition"); done
  ((${#members[@]})) || continue
  if ((each)) || ((${#members[@]} == 1)); then
    for condition in "${members[@]}"; do build "$condition" "$condition"; done
    continue
  fi
  build "group$index" "${members[@]}"
  if [[ ! -f $work/results/group$index.json ]] || differs "group$index"; then
    echo "  group $index (${members[*]}) differs from the baseline or failed: building its conditions one by one" >&2
    for condition in "${members[@]}"; do
      [[ -n ${group_of[$condition]:-} ]] && build "$condition" "$condition"
    done
  fi
done

# The table: one row per condition, one column per image.
python3 - "$work/results" "$only" "$(for k in "${!skipped[@]}"; do printf '%s\t%s\n' "$k" "${skipped[$k]}"; done)" \
  "$(for k in "${!group_of[@]}"; do printf '%s\t%s\n' "$k" "${group_of[$k]}"; done)" "${conditions[@]}" <<'PY'
import json, os, sys
results_dir, only, skipped_text, groups_text = sys.argv[1:5]
skipped = dict(line.split("\t", 1) for line in skipped_text.splitlines() if "\t" in line)
build_of = dict(line.split("\t", 1) for line in groups_text.splitlines() if "\t" in line)
results = {n[:-5]: json.load(open(os.path.join(results_dir, n))) for n in os.listdir(results_dir) if n.endswith(".json")}
baseline = results["baseline"]
images = sorted(baseline)
order = [c for c in sys.argv[5:] if not only or c in only.split(",")]
members = {}
for condition, build in build_of.items():
    members.setdefault(build, []).append(condition)


def seen(build):
    try:
        return "  (actions saw: " + open(os.path.join(results_dir, build + ".seen")).read().strip() + ")"
    except OSError:
        return ""


def evidence(build):
    try:
        return dict(line.split()[::-1] for line in open(os.path.join(results_dir, build + ".evidence")))
    except OSError:
        return {}


width = max([len(c) for c in order] + [9])
print()
print("condition".ljust(width), *[i.ljust(max(len(i), 9)) for i in images])
print("baseline".ljust(width), *[baseline[i][7:19].ljust(max(len(i), 9)) for i in images], seen("baseline"))
base_evidence = evidence("baseline")
bad = evidence_bad = cells = 0
failed = []
for condition in order:
    if condition in skipped:
        print(condition.ljust(width), "not applied:", skipped[condition])
        continue
    # A condition built alone (after its group differed, or with --each) is judged by that build.
    build = condition if condition in results else build_of.get(condition)
    if build not in results:
        failed.append(condition)
        print(condition.ljust(width), "BUILD FAILED (see the log above)")
        continue
    row = []
    for i in images:
        same = results[build].get(i) == baseline[i]
        bad += not same
        row.append(("same" if same else "DIFFERS " + results[build].get(i, "missing")[7:19]).ljust(max(len(i), 9)))
    others = [c for c in members.get(build, []) if c != condition]
    together = f"  [one build with {', '.join(others)}]" if others and build != condition else ""
    got = evidence(build)
    differing = sorted(f for f in base_evidence if got.get(f) != base_evidence[f])
    cells += len(images) + len(base_evidence)
    evidence_bad += len(differing)
    note = "" if not differing else "  evidence DIFFERS: " + ", ".join(differing)
    print(condition.ljust(width), *row, (seen(build) + together + note))
print()
print(f"{len(base_evidence)} evidence files (SBOM, provenance, tarball of every image) compared per condition")
applied = len([c for c in order if c not in skipped and c not in failed])
builds = len([n for n in results if n != "baseline"])
print(f"{applied} conditions applied in {builds} cold builds, {len(skipped)} not applied, {bad} differing digests, "
      f"{evidence_bad} differing evidence files, {len(failed)} failed builds")
# One test per (condition, image) and per (condition, evidence file), for ./scripts/test.sh's count.
bad += evidence_bad
print(f"{cells - bad} passed, {bad + len(failed) * len(images)} failed, {len(skipped) * len(images)} skipped")
sys.exit(1 if bad or failed else 0)
PY
status=$?
echo "check_reproducibility.sh: finished in $(human_duration $((SECONDS - started)))" >&2
exit $status
