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
    links = {
        "lib/jvm.cfg": "jvm-amd64.cfg",
        "conf/security/java.security": "security/java.security",
        "lib/security/default.policy": "security/default.policy",
    }
    for relative, etc_file in links.items():
        path = os.path.join(JAVA_HOME, relative)
        assert os.path.isfile(path), relative
        target = os.path.realpath(path)
        assert target.startswith(root + os.sep), (relative, target)
        # What the link gives, not where it points: a remote worker stages runfiles links as copies.
        with open(path, "rb") as got, open(os.path.join(root, "etc", "java-17-openjdk", etc_file), "rb") as want:
            assert got.read() == want.read(), relative
