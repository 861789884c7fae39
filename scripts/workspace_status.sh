#!/bin/sh
# Bazel's --workspace_status_command for provenance: the source revision as *stable* keys, so a
# new commit re-runs the provenance actions (a volatile key would leave them naming an old one).
# Nothing else reads these keys: image digests and SBOMs never depend on them.
#
#   bazel build --config=release //shuffler/services/collector:collector_image_provenance
#
# REPROIMAGE_SOURCE_REVISION (and _REPOSITORY) name the source where git cannot (an exported
# tree, or a git worktree whose repository is not mounted in the build environment).
revision=${REPROIMAGE_SOURCE_REVISION:-$(git rev-parse HEAD 2>/dev/null)}
[ -n "$revision" ] || exit 0
echo "STABLE_SOURCE_REVISION $revision"
repository=${REPROIMAGE_SOURCE_REPOSITORY:-$(git config --get remote.origin.url 2>/dev/null)}
[ -n "$repository" ] && echo "STABLE_SOURCE_REPOSITORY $repository"
if [ -z "${REPROIMAGE_SOURCE_REVISION:-}" ]; then
  if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    echo "STABLE_SOURCE_TREE_STATE dirty"
  else
    echo "STABLE_SOURCE_TREE_STATE clean"
  fi
fi
