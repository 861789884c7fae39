"""Unit tests of the deb extension's pure Starlark helpers."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:deb_extension.bzl", "package_repository_name")

def _repository_names_test(ctx):
    env = unittest.begin(ctx)
    asserts.equals(
        env,
        "deb_libc__1-16_1_16.0.6-15_deb12u1_amd64",
        package_repository_name({"name": "libc++1-16", "version": "1:16.0.6-15~deb12u1", "architecture": "amd64"}),
    )
    asserts.equals(
        env,
        "deb_python3.11-minimal_3.11.2-6_deb12u9_amd64",
        package_repository_name({"name": "python3.11-minimal", "version": "3.11.2-6+deb12u9", "architecture": "amd64"}),
    )
    return unittest.end(env)

repository_names_test = unittest.make(_repository_names_test)

def deb_extension_test_suite(name):
    unittest.suite(name, repository_names_test)
