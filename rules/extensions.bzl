"""Module extensions of reproimage (public API, like rules/defs.bzl for rules)."""

load("//rules/private:deb_extension.bzl", _deb = "deb")
load("//rules/private:maven_extension.bzl", _maven = "maven")
load("//rules/private:service_images.bzl", _service_images = "service_images")

deb = _deb
maven = _maven
service_images = _service_images
