"""action_key_check: compares two Bazel JSON execution logs and names every action whose key differs.

    bazel build --execution_log_json_file=/tmp/a.json //...      # checkout A
    bazel build --execution_log_json_file=/tmp/b.json //...      # checkout B, another path/user
    bazel run //tools/actionkey:action_key_check -- --a=/tmp/a.json --b=/tmp/b.json

Prints one line per differing action (mnemonic, target, first output, then the differing
argument, variable or input), and a summary last. Exit status 0 when every action common to both
builds has the same key and the same outputs, 1 when one differs (or the logs are unreadable),
and with --require_same_actions also when an action ran in one build only.
"""

from __future__ import annotations

import sys
from typing import Sequence

from absl import flags

from tools.actionkey.action_keys import compare, report
from tools.actionkey.execution_log import read_execution_log
from tools.common.errors import run_cli

TOOL = "action_key_check"
_A = flags.DEFINE_string("a", None, "the first build's --execution_log_json_file", required=True)
_B = flags.DEFINE_string("b", None, "the second build's --execution_log_json_file", required=True)
_SAME_ACTIONS = flags.DEFINE_bool(
    "require_same_actions", False, "an action that ran in one build only is a difference too (off: a cache hit "
    "in one build may skip spawns)")


def main(argv: Sequence[str]) -> int:
    comparison = compare(read_execution_log(_A.value), read_execution_log(_B.value))
    for line in report(comparison):
        print(line)
    if comparison.differences:
        return 1
    if _SAME_ACTIONS.value and (comparison.only_in_a or comparison.only_in_b):
        return 1
    return 0


if __name__ == "__main__":
    run_cli(TOOL, main)
