"""Launch policy labels: every known name and value form, typos, bad values, the monitoring
conflict and overrides of baked-in variables; and the assembler refusing them in one line."""

from __future__ import annotations

import pytest

from tools.image import launch_policy as lp
from tools.image.tests.fixtures import ASSEMBLER, Entry, run_tool, write_layer

TEE = {
    lp.ALLOW_ENV_OVERRIDE: "FCP_OPTS",
    lp.LOG_REDIRECT: "always",
    lp.MONITORING_MEMORY_ALLOW: "always",
}


def test_the_services_labels_pass():
    assert lp.problems(TEE, ["PATH=/bin", "LANG=C.UTF-8"]) == []


@pytest.mark.parametrize("label,value", [
    (lp.ALLOW_CMD_OVERRIDE, "true"), (lp.ALLOW_CMD_OVERRIDE, "False"), (lp.ALLOW_CMD_OVERRIDE, "1"),
    (lp.ALLOW_CAPABILITIES, "false"), (lp.ALLOW_CGROUPS, "TRUE"),
    (lp.ALLOW_ENV_OVERRIDE, "FCP_OPTS,OTHER_1,_x"),
    (lp.ALLOW_MOUNT_DESTINATIONS, "/run/tmp:/var/tmp:/tmp"),
    (lp.LOG_REDIRECT, "debugonly"), (lp.LOG_REDIRECT, "Never"), (lp.MONITORING_MEMORY_ALLOW, "never"),
    (lp.HARDENED_MONITORING, "memoryonly"), (lp.DEBUG_MONITORING, "all"), (lp.HARDENED_MONITORING, "none"),
])
def test_valid_values(label, value):
    assert lp.problems({label: value}, []) == []


@pytest.mark.parametrize("label,value,expected", [
    (lp.ALLOW_CMD_OVERRIDE, "yes", "must be a boolean"),
    (lp.ALLOW_ENV_OVERRIDE, "FCP_OPTS, OTHER", "comma-separated environment variable names"),
    (lp.ALLOW_ENV_OVERRIDE, "FCP_OPTS,", "comma-separated"),
    (lp.ALLOW_ENV_OVERRIDE, "FCP-OPTS", "comma-separated"),
    (lp.ALLOW_MOUNT_DESTINATIONS, "/run/tmp:var/tmp", "colon-separated absolute paths"),
    (lp.LOG_REDIRECT, "sometimes", "one of always, never, debugonly"),
    (lp.MONITORING_MEMORY_ALLOW, "memoryonly", "one of always, never, debugonly"),
    (lp.HARDENED_MONITORING, "always", "one of none, memoryonly, all"),
])
def test_bad_values_name_the_label_and_the_syntax(label, value, expected):
    (problem,) = lp.problems({label: value}, [])
    assert problem.startswith(f"label {label}={value!r}") and expected in problem


def test_a_typo_names_the_label_and_suggests_the_known_one():
    (problem,) = lp.problems({"tee.launch_policy.log_redirct": "always"}, [])
    assert problem == ("label tee.launch_policy.log_redirct is not a Confidential Space launch policy "
                       "(did you mean tee.launch_policy.log_redirect?)")


def test_other_labels_are_not_ours_to_check():
    assert lp.problems({"org.opencontainers.image.version": "x", "tee.launch_policyx": "y"}, []) == []


def test_old_and_new_monitoring_labels_conflict():
    (problem,) = lp.problems({lp.MONITORING_MEMORY_ALLOW: "always", lp.DEBUG_MONITORING: "all"}, [])
    assert "cannot be combined" in problem


def test_an_override_of_a_baked_in_variable_is_flagged():
    (problem,) = lp.problems({lp.ALLOW_ENV_OVERRIDE: "FCP_OPTS,JAVA_HOME"}, ["JAVA_HOME=/usr/lib/jvm", "PATH=/bin"])
    assert "override JAVA_HOME, which the image sets in its env" in problem


def test_policy():
    assert lp.policy(TEE) == lp.Policy(env_override=("FCP_OPTS",), cmd_override=False)
    assert lp.policy({lp.ALLOW_CMD_OVERRIDE: "True"}).cmd_override


@pytest.mark.parametrize("label,expected", [
    ("--label=tee.launch_policy.allow_env_overide=FCP_OPTS", "did you mean tee.launch_policy.allow_env_override?"),
    ("--label=tee.launch_policy.log_redirect=on", "tee.launch_policy.log_redirect='on': the value must be"),
])
def test_the_assembler_refuses_in_one_line_and_writes_nothing(tmp_path, label, expected):
    layer = write_layer(tmp_path / "in", "one", [Entry("app/run", b"run\n", mode=0o755)])
    out = tmp_path / "image"
    result = run_tool(ASSEMBLER, [f"--layer={layer.blob}={layer.descriptor}", label, f"--output={out}",
                                  f"--digest={tmp_path / 'image.digest'}"])
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("image_assembler: error: label ")
    assert expected in result.stderr
    assert not out.exists() and not (tmp_path / "image.digest").exists()
