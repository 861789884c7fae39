# Shared by the project's shell scripts; sourced, never run. The same formats as the Python
# tools' (tools/common/units.py), at the precision of bash's clock.
# shellcheck shell=bash

human_duration() {  # human_duration SECONDS: `12s`, `3m07s`
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}
