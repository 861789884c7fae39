"""`java_junit5_test`: JUnit 5 (Jupiter) tests under `bazel test`, one test case per test method."""

load("@rules_java//java:defs.bzl", "java_test")

def _class_name(src):
    path = src[:-len(".java")]
    for root in ("src/test/java/", "javatests/", "java/"):
        if root in path:
            return path[path.index(root) + len(root):].replace("/", ".")
    fail("%s: test sources live below src/test/java/ (or javatests/, java/), whose path is their package" % src)

def java_junit5_test(name, srcs, deps = [], runtime_deps = [], **kwargs):
    """A java_test running every `*Test.java` of `srcs` with the JUnit Platform.

    Bazel's runner knows JUnit 4 only; `JUnit5Main` runs the classes and writes Bazel's XML
    report (`XML_OUTPUT_FILE`), so each test method counts as a test case.

    Args:
      name: the test target.
      srcs: test sources below a `src/test/java/` (or `javatests/`, `java/`) directory; `*Test.java` are run.
      deps: what the tests compile against (JUnit's API is added).
      runtime_deps: what they need only at run time.
      **kwargs: further java_test attributes (size, data, tags, jvm_flags, ...).
    """
    classes = [_class_name(s) for s in srcs if s.endswith("Test.java")]
    if not classes:
        fail("java_junit5_test %s: no *Test.java among srcs" % name)
    java_test(
        name = name,
        srcs = srcs,
        args = classes,
        main_class = "org.fcp.testing.JUnit5Main",
        use_testrunner = False,
        deps = deps + ["@maven_spring//:org_junit_jupiter_junit_jupiter_api"],
        runtime_deps = runtime_deps + [Label("//tools/testing/java:junit5_main")],
        **kwargs
    )
