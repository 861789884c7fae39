"""What the analysis tests of the rules share: reading what a target declares, expecting failure."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

def written_json(env, basename):
    """The JSON a FileWrite action of the target under test writes to `basename`."""
    for action in analysistest.target_actions(env):
        if action.mnemonic == "FileWrite" and action.outputs.to_list()[0].basename == basename:
            return json.decode(action.content)
    fail("no action writes %s" % basename)

def only_action(env, mnemonic):
    """The one action of the target under test with `mnemonic`."""
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == mnemonic]
    asserts.equals(env, 1, len(actions), "%s actions" % mnemonic)
    return actions[0]

def flag_value(argv, flag):
    """The word after `flag` in an action's argv, or None."""
    return argv[argv.index(flag) + 1] if flag in argv else None

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

# The target under test must fail analysis with an error containing `message`.
failure_test = analysistest.make(
    _failure_test_impl,
    expect_failure = True,
    attrs = {"message": attr.string(mandatory = True)},
)
