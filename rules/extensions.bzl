"""Module extensions of reproimage (public API, like rules/defs.bzl for rules)."""

load("//rules/private:deb_extension.bzl", _deb = "deb")

deb = _deb
