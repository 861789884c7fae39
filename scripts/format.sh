# Shared by the project's shell scripts; sourced, never run (POSIX sh, so /bin/sh scripts can
# source it too). What the scripts do the same way:
#
# - messages: durations in the same format as the Python tools' (tools/common/units.py), at the
#   precision of the shell's clock;
# - the command line: a script's header comment (the comment block right after its shebang) is
#   its --help, and the header's first line reads `<how to run it>: <what it does>`; the part
#   before ": " is the usage line a bad option or argument prints, in one line:
#   `<script>: error: <what is wrong>; usage: <usage line> (see --help)`, exit status 2.
# - the build environment: a script that enters it itself calls `in_buildenv "$@"` (before any
#   `cd`; it needs `$project`).
# shellcheck shell=sh

in_buildenv() {  # in_buildenv ARG...: outside the build environment, runs this script in it with ARGs instead
  # (never returns); inside, does nothing. Needs $project, the checkout's root.
  [ -f /etc/reproimage-buildenv ] && return 0
  in_buildenv_script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
  exec "$project/scripts/buildenv/run.sh" "./${in_buildenv_script#"$project"/}" "$@"
}

human_duration() {  # human_duration SECONDS: `12s`, `3m07s`
  if [ "$1" -ge 60 ]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi
}

script_help() {  # script_help: prints the running script's header comment and exits 0
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
  exit 0
}

script_usage() {  # script_usage: the running script's usage line (its header's first line, before ": ")
  awk 'NR == 2 { sub(/^# ?/, ""); sub(/: .*/, ""); print; exit }' "$0"
}

usage_error() {  # usage_error MESSAGE: the one-line error for a bad command line; exits 2
  printf '%s: error: %s; usage: %s (see --help)\n' "${0##*/}" "$1" "$(script_usage)" >&2
  exit 2
}

no_arguments() {  # no_arguments ARG...: for a script that takes none besides --help
  [ $# -eq 0 ] && return 0
  case $1 in
    -h | --help) script_help ;;
    -*) usage_error "unknown option '$1'" ;;
    *) usage_error "unexpected argument '$1'" ;;
  esac
}

# bazel_arguments ARG...: for a script whose arguments all go to Bazel, after `--`; --help is its
# own and anything else before `--` is a usage error. The caller then drops the `--`:
#   bazel_arguments "$@"; [ "${1-}" = -- ] && shift
bazel_arguments() {
  [ $# -eq 0 ] && return 0
  case $1 in
    --) return 0 ;;
    -h | --help) script_help ;;
    -*) usage_error "unknown option '$1' (Bazel's options go after --)" ;;
    *) usage_error "unexpected argument '$1' (Bazel's arguments go after --)" ;;
  esac
}
