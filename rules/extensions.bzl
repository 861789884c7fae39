"""Module extensions of reproimage (public API, like rules/defs.bzl for rules)."""

load("//rules/private:deb_extension.bzl", _deb = "deb")
load("//rules/private:maven_extension.bzl", _maven = "maven")

deb = _deb
maven = _maven
