"""The pinned JDK tree keeps the packages' absolute symlinks, repointed inside the tree."""

from __future__ import annotations

import os

JAVA_HOME = os.path.dirname(os.path.dirname(os.environ["PINNED_JAVA"]))


def _tree_root() -> str:
    # The repository: java is <tree>/usr/lib/jvm/java-17-openjdk-amd64/bin/java.
    java = os.path.realpath(os.environ["PINNED_JAVA"])
    for _ in range(6):
        java = os.path.dirname(java)
    return java


def test_config_links_resolve_inside_the_tree():
    # Debian links these to /etc/java-17-openjdk/; a tree that lost them fails javac's first start.
    root = _tree_root()
    for relative in ("lib/jvm.cfg", "conf/security/java.security", "lib/security/default.policy"):
        path = os.path.join(JAVA_HOME, relative)
        assert os.path.isfile(path), relative
        target = os.path.realpath(path)
        assert target.startswith(root + os.sep), (relative, target)
        assert "/etc/java-17-openjdk/" in target, (relative, target)
