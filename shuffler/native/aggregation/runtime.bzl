"""Where a test finds the C++ runtime libraries that libaggregation-jni.so needs.

The machine that runs a test may have no libc++ at all; a test that loads the library gets
bookworm's libc++.so.1, libc++abi.so.1 and libunwind.so.1 from the sysroot tree (the same
packages, at the same versions, as the JNI runtime lock: //tools/debian/tests checks it) on
LD_LIBRARY_PATH. Only that directory, which holds nothing else: bookworm's libc there would break
the machine's own loader.
"""

_SYSROOT = Label("@clang16_sysroot//:files")
_LIBRARY_DIR = "usr/lib/llvm-16/lib"

JNI_TEST_RUNTIME = [
    "@clang16_sysroot//:%s/%s" % (_LIBRARY_DIR, name)
    for name in ["libc++.so.1", "libc++abi.so.1", "libunwind.so.1"]
]

# Relative to a test's working directory, the main repository's root in its runfiles.
JNI_TEST_ENV = {"LD_LIBRARY_PATH": "../%s/%s" % (_SYSROOT.workspace_name, _LIBRARY_DIR)}
