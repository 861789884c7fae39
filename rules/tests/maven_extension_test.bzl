"""Unit tests of the maven extension's pure Starlark helpers (the label scheme, the messages)."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:maven_extension.bzl", "lock_display", "maven_repository_name", "maven_target_name", "relock_command")
load("//rules/private:maven_repositories.bzl", "mismatch_message")

def _names_test(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, "org_springframework_spring_core", maven_target_name("org.springframework:spring-core"))
    asserts.equals(env, "t_util_jar_tests", maven_target_name("t:util:jar:tests"))
    asserts.equals(env, "org_example_agg_pom", maven_target_name("org.example:agg:pom"))
    asserts.equals(
        env,
        "maven__org_tensorflow_libtensorflow_jni__1_15_0",
        maven_repository_name("org.tensorflow:libtensorflow_jni", "1.15.0"),
    )
    return unittest.end(env)

def _lock_labels_test(ctx):
    env = unittest.begin(ctx)
    lock = Label("//toolchains/maven:spring.lock.json")
    asserts.equals(env, "//toolchains/maven:spring.lock.json", lock_display(lock))
    asserts.equals(env, "bazel run //toolchains/maven:spring.lock", relock_command(lock))
    return unittest.end(env)

def _mismatch_message_test(ctx):
    env = unittest.begin(ctx)
    message = mismatch_message(
        "com.beust:jcommander:1.82",
        "jcommander-1.82.jar",
        "//toolchains/maven:spring.lock.json",
        "bazel run //toolchains/maven:spring.lock",
        ["https://a/x.jar", "https://b/x.jar"],
        "1" * 64,
        "2" * 64,
    )
    for part in [
        "com.beust:jcommander:1.82 (jcommander-1.82.jar)",
        "the lock //toolchains/maven:spring.lock.json",
        "expected sha256 " + "1" * 64,
        "got " + "2" * 64 + " from https://a/x.jar or https://b/x.jar",
        "re-lock with `bazel run //toolchains/maven:spring.lock`",
        "check the mirror or proxy",
    ]:
        asserts.true(env, part in message, "missing %r in %r" % (part, message))
    return unittest.end(env)

names_test = unittest.make(_names_test)
lock_labels_test = unittest.make(_lock_labels_test)
mismatch_message_test = unittest.make(_mismatch_message_test)

def maven_extension_test_suite(name):
    unittest.suite(name, names_test, lock_labels_test, mismatch_message_test)
