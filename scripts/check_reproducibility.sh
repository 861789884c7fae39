#!/usr/bin/env bash
# ./scripts/check_reproducibility.sh [--only NAME,...] [--keep]: builds every image under varied conditions.
#
# Each condition gets a fresh copy of the workspace and a fresh Bazel output base; every image
# digest, and the bytes of every image's SBOM, provenance and loadable tarball (//:release_evidence),
# are compared with a baseline build. Prints a table (conditions x images) with what the build's
# actions saw of the conditions (e2e/probe), and which conditions could not be applied, and why.
# Exit status 1 if any digest or evidence file differs.
#
# Conditions (--only takes these names): path (every build has its own), timezone, locale,
# umask, uid, clock (faketime, ten years ahead), fsorder (disorderfs), allexec and noexec (a
# checkout where every file is executable, as a remote worker reports, and one where none is),
# jobs (--jobs and CPU count), hostname (a UTS namespace of its own), home (HOME elsewhere),
# aslr (address-space randomisation off, setarch -R), kernel (another kernel version string,
# setarch --uname-2.6) and symlink (a build started from a symlinked checkout path).
# Takes one cold build per condition (one to two minutes each on two cores).
set -uo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
. "$project/scripts/format.sh"

conditions=(path timezone locale umask uid clock fsorder allexec noexec jobs hostname home aslr kernel symlink)
only="" keep=0
args=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --only)
      [[ $# -ge 2 && -n $2 ]] || usage_error "--only needs a comma-separated list of conditions"
      only=$2
      shift
      ;;
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
if [[ ! -f /etc/reproimage-buildenv ]]; then
  exec "$project/scripts/buildenv/run.sh" ./scripts/check_reproducibility.sh "${args[@]+"${args[@]}"}"
fi

# A directory of this run's own: checkouts sharing a build environment share /var/tmp, and a fixed
# path would let one run delete another's builds.
work=$(mktemp -d /var/tmp/reproimage-vary.XXXXXX)
mkdir -p "$work/results"
cleanup() {
  if ((keep)); then
    echo "check_reproducibility.sh: kept the builds in $work" >&2
    return
  fi
  fusermount -u "$work/fsorder/src" 2>/dev/null
  rm -rf "$work" 2>/dev/null || { chmod -R u+w "$work" && rm -rf "$work"; }
}
trap cleanup EXIT
started=$SECONDS
declare -A skipped

# copy_workspace DIR [UMASK]: a copy of the sources (no outputs, no .git) at a path of its own;
# with UMASK, file modes are those a checkout under that umask would have (as git does).
copy_workspace() {
  mkdir -p "$1"
  if [[ -n ${2:-} ]]; then
    (cd "$project" && tar --exclude='./bazel-*' --exclude='./.git' -cf - .) |
      (umask "$2" && tar -xf - --no-same-permissions -C "$1")
  else
    (cd "$project" && tar --exclude='./bazel-*' --exclude='./.git' -cf - .) | tar -xf - -C "$1"
  fi
}

# build NAME SRC [PREFIX...] [-- BAZEL_FLAG...]: builds //:image_hashes in SRC with a fresh output
# user root, running bazel through PREFIX (env assignments, wrappers); saves the manifest.
build() {
  local name=$1 src=$2
  shift 2
  local prefix=() flags=()
  while [[ $# -gt 0 && $1 != -- ]]; do prefix+=("$1"); shift; done
  [[ ${1:-} == -- ]] && { shift; flags=("$@"); }
  local out="$work/$name/output-root" log="$work/$name/build.log"
  mkdir -p "$out"
  echo "[$((SECONDS - started))s] building under condition '$name' in $src" >&2
  if [[ ${PREFETCH:-0} == 1 ]]; then
    # Bazel 7 passes --action_env to repository rules too (where a clock ten years ahead fails
    # TLS); fetch before those flags apply, as a user with a warm repository would have.
    (cd "$src" && "${prefix[@]}" bazel --output_user_root="$out" fetch //:image_hashes) >"$log.fetch" 2>&1
  fi
  (cd "$src" && "${prefix[@]}" bazel --output_user_root="$out" build //:image_hashes //:release_evidence //e2e/probe:conditions "${flags[@]}") >"$log" 2>&1
  local status=$?
  if ((status == 0)); then
    local bin
    bin=$(cd "$src" && "${prefix[@]}" bazel --output_user_root="$out" info bazel-bin "${flags[@]}" 2>/dev/null)
    cp "$bin/image_hashes.json" "$work/results/$name.json" || status=1
    cp "$bin/e2e/probe/conditions.txt" "$work/results/$name.seen" || status=1
    (cd "$bin" && for f in $(evidence_files); do sha256sum "$f"; done) >"$work/results/$name.evidence" || status=1
  else
    echo "  build failed (status $status); last lines of $log:" >&2
    tail -5 "$log" | sed 's/^/    /' >&2
  fi
  (cd "$src" && "${prefix[@]}" bazel --output_user_root="$out" shutdown) >/dev/null 2>&1
  if ((!keep)); then
    # Bazel leaves read-only directories in an output root: make them writable if rm cannot.
    rm -rf "$out" 2>/dev/null || { chmod -R u+w "$out" && rm -rf "$out"; }
  fi
  return $status
}

wanted() { [[ -z $only || ",$only," == *",$1,"* ]]; }

# The outputs of //:release_evidence below bazel-bin: <pkg>/<image>_{sbom.spdx.json,provenance.intoto.json,tarball.tar}.
evidence_files() {
  python3 - "$project/shuffler/services/services.bzl" <<'PY'
import re, sys
for package, name in sorted(re.findall(r'"//([^:"]+):([^"]+)"', open(sys.argv[1]).read())):
    for suffix in ("_sbom.spdx.json", "_provenance.intoto.json", "_tarball.tar"):
        print(f"{package}/{name}{suffix}")
PY
}

# Baseline: nothing varied (besides its own path).
copy_workspace "$work/baseline/src"
build baseline "$work/baseline/src" env -- || { echo "the baseline build failed" >&2; exit 1; }

if wanted path; then
  copy_workspace "$work/path/a/much/deeper/build directory with spaces/src"
  build path "$work/path/a/much/deeper/build directory with spaces/src" env --
fi

if wanted timezone; then
  copy_workspace "$work/timezone/src"
  # The client's TZ reaches repository rules; --action_env reaches every action of our rules.
  PREFETCH=1 build timezone "$work/timezone/src" env TZ=Pacific/Kiritimati -- --action_env=TZ=Pacific/Kiritimati
fi

if wanted locale; then
  if locale -a 2>/dev/null | grep -qi '^tr_TR.utf-\?8$'; then
    copy_workspace "$work/locale/src"
    PREFETCH=1 build locale "$work/locale/src" env LANG=tr_TR.UTF-8 LC_ALL=tr_TR.UTF-8 -- \
      --action_env=LANG=tr_TR.UTF-8 --action_env=LC_ALL=tr_TR.UTF-8
  else
    skipped[locale]="no tr_TR.UTF-8 locale in this environment (scripts/buildenv/install_packages.sh makes it)"
  fi
fi

if wanted umask; then
  # Sources checked out under umask 077 (files 0600/0700), and Bazel started under it (it resets
  # the actions' own umask, as the table shows).
  copy_workspace "$work/umask/src" 077
  build umask "$work/umask/src" sh -c 'umask 077; exec "$@"' umask --
fi

if wanted uid; then
  copy_workspace "$work/uid/src"
  mkdir -p "$work/uid/home" "$work/uid/output-root"
  chown -R 4242:4242 "$work/uid"
  if setpriv --reuid=4242 --regid=4242 --clear-groups true 2>/dev/null; then
    build uid "$work/uid/src" setpriv --reuid=4242 --regid=4242 --clear-groups env HOME="$work/uid/home" USER=builder -- \
      --repository_cache="$work/uid/repository-cache" ||
      skipped[uid]="Bazel did not build as uid 4242 (see $work/uid/build.log)"
  else
    skipped[uid]="cannot switch to another user id here (setpriv failed)"
  fi
fi

if wanted clock; then
  lib=$(find /usr/lib -name libfaketime.so.1 2>/dev/null | head -1)
  if [[ -n $lib ]] && (($(LD_PRELOAD=$lib FAKETIME=+3650d date +%Y) >= $(date +%Y) + 9)); then
    copy_workspace "$work/clock/src"
    # Every action of our rules (layer writer, assembler, repacker...) sees the clock ten years
    # ahead. Bazel itself runs on the real clock: it writes no time into outputs, and TLS
    # downloads need it.
    PREFETCH=1 build clock "$work/clock/src" env -- \
      --action_env=LD_PRELOAD="$lib" --action_env=FAKETIME=+3650d \
      --host_action_env=LD_PRELOAD="$lib" --host_action_env=FAKETIME=+3650d ||
      skipped[clock]="the build failed with libfaketime preloaded (see $work/clock/build.log)"
  else
    skipped[clock]="libfaketime is not installed (Debian package faketime) or does not move the clock here"
  fi
fi

if wanted fsorder; then
  if command -v disorderfs >/dev/null && [[ -e /dev/fuse ]]; then
    copy_workspace "$work/fsorder/real"
    mkdir -p "$work/fsorder/src"
    if disorderfs --shuffle-dirents=yes --reverse-dirents=no --multi-user=yes "$work/fsorder/real" "$work/fsorder/src" >/dev/null 2>&1; then
      build fsorder "$work/fsorder/src" env --
      fusermount -u "$work/fsorder/src" 2>/dev/null || umount -l "$work/fsorder/src"
    else
      skipped[fsorder]="disorderfs could not mount (FUSE unavailable here)"
    fi
  else
    skipped[fsorder]="disorderfs or /dev/fuse is missing"
  fi
fi

# Every input of a remote action is executable (bazelbuild/bazel#12818); a core.fileMode=false
# clone or an archive without modes has no executable file at all.
for bits in allexec noexec; do
  if wanted $bits; then
    copy_workspace "$work/$bits/src"
    if [[ $bits == allexec ]]; then
      find "$work/$bits/src" -type f -exec chmod a+x {} +
    else
      find "$work/$bits/src" -type f -exec chmod a-x {} +
    fi
    build $bits "$work/$bits/src" env --
  fi
done

if wanted jobs; then
  copy_workspace "$work/jobs/src"
  build jobs "$work/jobs/src" taskset -c 0 -- --jobs=1
fi

# The Bazel server, and so every action, inherits the namespace and the process personality its
# client was started with.
if wanted hostname; then
  if unshare --uts true 2>/dev/null; then
    copy_workspace "$work/hostname/src"
    build hostname "$work/hostname/src" unshare --uts sh -c 'hostname reproimage-other-host && exec "$@"' hostname --
  else
    skipped[hostname]="cannot create a UTS namespace here (unshare --uts failed)"
  fi
fi

if wanted home; then
  copy_workspace "$work/home/src"
  # A HOME that does not exist, for Bazel's client and repository rules and for every action.
  PREFETCH=1 build home "$work/home/src" env HOME="$work/home/no/such/home" -- \
    --action_env=HOME="$work/home/no/such/home"
fi

for personality in aslr kernel; do
  if wanted $personality; then
    flag=-R
    [[ $personality == kernel ]] && flag=--uname-2.6
    if setarch "$(uname -m)" $flag true 2>/dev/null; then
      copy_workspace "$work/$personality/src"
      build $personality "$work/$personality/src" setarch "$(uname -m)" $flag --
    else
      skipped[$personality]="setarch $flag is not available here"
    fi
  fi
done

if wanted symlink; then
  copy_workspace "$work/symlink/real/src"
  ln -s real/src "$work/symlink/link"
  build symlink "$work/symlink/link" env --
fi

# The table: one row per condition, one column per image.
python3 - "$work/results" "$only" "$(for k in "${!skipped[@]}"; do printf '%s\t%s\n' "$k" "${skipped[$k]}"; done)" \
  "${conditions[@]}" <<'PY'
import json, os, sys
results_dir, only, skipped_text = sys.argv[1:4]
skipped = dict(line.split("\t", 1) for line in skipped_text.splitlines() if "\t" in line)
results = {n[:-5]: json.load(open(os.path.join(results_dir, n))) for n in os.listdir(results_dir) if n.endswith(".json")}
baseline = results.pop("baseline")
images = sorted(baseline)
order = [c for c in sys.argv[4:] if not only or c in only.split(",")]
width = max([len(c) for c in order] + [9])
print()
def seen(condition):
    try:
        return "  (actions saw: " + open(os.path.join(results_dir, condition + ".seen")).read().strip() + ")"
    except OSError:
        return ""
print("condition".ljust(width), *[i.ljust(max(len(i), 9)) for i in images])
print("baseline".ljust(width), *[baseline[i][7:19].ljust(max(len(i), 9)) for i in images], seen("baseline"))
bad = 0
for condition in order:
    if condition in results:
        row = []
        for i in images:
            same = results[condition].get(i) == baseline[i]
            bad += not same
            row.append(("same" if same else "DIFFERS " + results[condition].get(i, "missing")[7:19]).ljust(max(len(i), 9)))
        print(condition.ljust(width), *row, seen(condition))
    elif condition in skipped:
        print(condition.ljust(width), "not applied:", skipped[condition])
failed_builds = [c for c in order if c not in results and c not in skipped]
for c in failed_builds:
    print(c.ljust(width), "BUILD FAILED (see the log above)")
def evidence(condition):
    try:
        return dict(line.split()[::-1] for line in open(os.path.join(results_dir, condition + ".evidence")))
    except OSError:
        return {}
base_evidence = evidence("baseline")
evidence_bad = 0
evidence_cells = 0
for condition in order:
    if condition in results:
        got = evidence(condition)
        differing = sorted(f for f in base_evidence if got.get(f) != base_evidence[f])
        evidence_cells += len(base_evidence)
        evidence_bad += len(differing)
        print(f"{condition}: {len(base_evidence)} evidence files (SBOM, provenance, tarball):",
              "same" if not differing else "DIFFER: " + ", ".join(differing))
print()
print(f"{len(results)} conditions applied, {len(skipped)} not applied, {bad} differing digests, "
      f"{evidence_bad} differing evidence files, {len(failed_builds)} failed builds")
# One test per (condition, image) cell and per (condition, evidence file), for ./scripts/test.sh's count.
cells = sum(len(images) for c in order if c in results) + evidence_cells
bad += evidence_bad
print(f"{cells - bad} passed, {bad + len(failed_builds) * len(images)} failed, {len(skipped) * len(images)} skipped")
sys.exit(1 if bad or failed_builds else 0)
PY
status=$?
echo "check_reproducibility.sh: finished in $(human_duration $((SECONDS - started)))" >&2
exit $status
