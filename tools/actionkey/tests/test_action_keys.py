"""Action keys of real execution logs (testdata/, from fixture_workspace by capture_logs.sh).

a.json and b.json: the fixture built in two checkout paths with fresh output bases; the planted
genrule reads an undeclared file that held "one" in A and "two" in B. c.json: message.txt changed.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess

import pytest

from tools.actionkey.action_keys import compare, report
from tools.actionkey.execution_log import parse_execution_log, read_execution_log
from tools.common.errors import UserError

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = "bazel-out/k8-fastbuild/bin"


def _log(name: str):
    return read_execution_log(os.path.join(HERE, "testdata", f"{name}.json"))


def test_the_logs_are_from_different_checkout_paths_yet_keys_match_except_the_planted_action() -> None:
    a, b = _log("a"), _log("b")
    comparison = compare(a, b)
    assert comparison.compared == 3
    assert [(d.spawn.target, d.kind) for d in comparison.differences] == [("//:planted", "output")]
    line = comparison.differences[0].line()
    assert line.startswith(f"Genrule //:planted -> {BIN}/planted.txt: same key, different output: {BIN}/planted.txt ")
    assert "does not declare" in line


def test_a_log_compared_with_itself_has_no_difference() -> None:
    comparison = compare(_log("a"), _log("a"))
    assert comparison.differences == [] and comparison.compared == 3
    assert report(comparison)[-1].startswith("3 actions compared: 0 keys differ")


def test_a_changed_source_is_named_where_it_enters_and_downstream_is_only_a_consequence() -> None:
    comparison = compare(_log("a"), _log("c"))
    by_target = {d.spawn.target: d for d in comparison.differences}
    assert set(by_target) == {"//:hermetic", "//:downstream"}
    hermetic = by_target["//:hermetic"]
    assert len(hermetic.causes) == 1 and hermetic.causes[0].startswith("input message.txt: 5891b5b522d5 vs ")
    downstream = by_target["//:downstream"]
    assert downstream.causes == [] and downstream.derived == [f"{BIN}/hermetic.txt"]
    assert [d.spawn.target for d in comparison.root_causes] == ["//:hermetic"]


def test_a_changed_argument_and_variable_are_named() -> None:
    a = _log("a")
    hermetic = next(s for s in a if s.target == "//:hermetic")
    changed = dataclasses.replace(
        hermetic, args=hermetic.args[:-1] + ("different",), env={**hermetic.env, "HOME": "/home/b"}
    )
    [difference] = compare([hermetic], [changed]).differences
    assert difference.causes[0].startswith("argument 2: ")
    assert difference.causes[1] == "environment variable HOME: '(absent)' vs '/home/b'"


def test_an_action_of_one_build_only_is_listed_not_a_key_difference() -> None:
    a = _log("a")
    comparison = compare(a, [s for s in a if s.target != "//:planted"])
    assert comparison.differences == []
    assert [s.target for s in comparison.only_in_a] == ["//:planted"]
    assert f"Genrule //:planted -> {BIN}/planted.txt: only in A" in report(comparison)


def test_bad_logs_are_one_clear_error(tmp_path) -> None:
    with pytest.raises(UserError, match="not a JSON execution log .*--execution_log_json_file"):
        parse_execution_log('{"commandArgs": [', "x.json")
    with pytest.raises(UserError, match="x.json: entry 1: an entry without commandArgs"):
        parse_execution_log('{"mnemonic": "Genrule"}', "x.json")
    with pytest.raises(UserError, match="cannot read execution log .*missing.json"):
        read_execution_log(str(tmp_path / "missing.json"))
    binary = tmp_path / "compact.log"
    binary.write_bytes(b"\x28\xb5\x2f\xfd\xff\xfe")
    with pytest.raises(UserError, match="binary"):
        read_execution_log(str(binary))


def _check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.abspath("tools/actionkey/action_key_check"), *args], capture_output=True, text=True, check=False
    )


def test_the_tool_exits_1_naming_the_planted_action_and_0_for_equal_logs() -> None:
    data = os.path.join(HERE, "testdata")
    result = _check(f"--a={data}/a.json", f"--b={data}/b.json")
    assert result.returncode == 1, result.stderr
    assert "Genrule //:planted" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[-1].startswith("3 actions compared: 0 keys differ")
    same = _check(f"--a={data}/a.json", f"--b={data}/a.json")
    assert same.returncode == 0 and same.stdout.splitlines() == ["3 actions compared: 0 keys differ (0 where a "
                                                                 "difference starts), 0 not hermetic (same key, "
                                                                 "different output), 0 only in A, 0 only in B"]
