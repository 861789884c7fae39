#!/bin/sh
# An executable source file whose permission bits the probe reports (see BUILD.bazel).
