"""Module extensions of reproimage (public API, like rules/defs.bzl for rules)."""

load("//rules/private:deb_extension.bzl", _deb = "deb")
load("//rules/private:maven_extension.bzl", _maven = "maven")
load("//rules/private:pip_lock_extension.bzl", _pip_lock = "pip_lock")

deb = _deb
maven = _maven
pip_lock = _pip_lock
