#!/bin/sh
# /usr/local/bin/bazel inside the build environment. Debian builds Bazel without embedded build
# information, so `bazel version` answers "Version information not available"; answer it from
# the package's build label instead. Every other command goes to Debian's bazel unchanged.
for arg in "$@"; do
  case $arg in
    -*) continue ;;
    version)
      label=$(cat /usr/share/bazel/build-label.txt)
      printf 'Build label: %s\nBuild target: Debian package bazel-bootstrap %s\n' "$label" \
        "$(dpkg-query -W -f '${Version}' bazel-bootstrap)"
      exit 0
      ;;
    *) break ;;
  esac
done
exec /usr/bin/bazel "$@"
