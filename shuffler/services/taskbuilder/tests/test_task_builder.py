"""task_builder builds the same description for the same request and refuses bad requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shuffler.services.taskbuilder import task_builder, task_builder_lib

REQUEST = {
    "population_name": "keyboard/en-us",
    "model": {"uri": "gs://models/next-word/v3", "sha256": "ab" * 32},
    "rounds": 50,
    "clients_per_round": 200,
}


def test_description_is_derived_from_the_request():
    description = task_builder_lib.handle(json.dumps(REQUEST))
    assert description["population_name"] == "keyboard/en-us"
    assert description["aggregation"] == {"kind": "fedavg", "target_clients": 200, "min_reports": 160}
    assert description["schedule"] == {"rounds": 50, "round_deadline_seconds": 600, "total_deadline_seconds": 30000}
    assert description["task_id"].startswith("task-") and len(description["task_id"]) == 21


def test_same_request_same_task_id_whatever_the_key_order():
    reordered = json.dumps(dict(reversed(list(REQUEST.items()))))
    assert task_builder_lib.handle(reordered) == task_builder_lib.handle(json.dumps(REQUEST))
    other = task_builder_lib.handle(json.dumps(dict(REQUEST, rounds=51)))
    assert other["task_id"] != task_builder_lib.handle(json.dumps(REQUEST))["task_id"]


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"rounds": 0}, "rounds: Input should be greater than or equal to 1"),
        ({"population_name": "Bad Name"}, "population_name: String should match pattern"),
        ({"model": {"uri": "ftp://x", "sha256": "ab" * 32}}, "model.uri: String should match pattern"),
        ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
    ],
)
def test_bad_requests_name_the_field(change, problem):
    with pytest.raises(task_builder_lib.BadRequest, match=problem.replace(".", r"\.")):
        task_builder_lib.handle(json.dumps(dict(REQUEST, **change)))


def test_secure_aggregation_needs_a_quorum():
    with pytest.raises(task_builder_lib.BadRequest, match="at least 3 reports"):
        task_builder_lib.handle(json.dumps(dict(REQUEST, clients_per_round=2, aggregation="secure_aggregation")))


def test_fcp_opts_supply_runtime_options_and_the_command_line_wins(monkeypatch):
    monkeypatch.setenv("FCP_OPTS", "--port 9000 --host 127.0.0.1")
    args = task_builder.parse_args(["--port", "9001"])
    assert (args.host, args.port) == ("127.0.0.1", 9001)
