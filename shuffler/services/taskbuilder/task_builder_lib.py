"""Turns a validated request into the task description the scheduler consumes.

The description is a pure function of the request: the same request always yields the same
bytes (and the same task id), which keeps the service easy to test and to audit.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from pydantic import ValidationError

from shuffler.services.taskbuilder.task_request import TaskRequest

SERVICE = "task_builder"
DESCRIPTION_VERSION = 1
# Secure aggregation needs a quorum of masked reports to unmask the sum.
_SECAGG_MIN_REPORTS = 3


class BadRequest(Exception):
    """The request is not a valid task request; the message says why, field by field."""


def parse_request(raw: bytes | str) -> TaskRequest:
    try:
        return TaskRequest.model_validate_json(raw)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(request)'}: {err['msg']}" for err in e.errors()
        )
        raise BadRequest(problems) from None


def task_id(request: TaskRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "task-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def build_task(request: TaskRequest) -> dict[str, Any]:
    min_reports = max(1, math.ceil(request.clients_per_round * request.min_report_fraction))
    if request.aggregation == "secure_aggregation" and min_reports < _SECAGG_MIN_REPORTS:
        raise BadRequest(
            f"secure_aggregation needs at least {_SECAGG_MIN_REPORTS} reports per round; "
            f"{request.clients_per_round} clients at fraction {request.min_report_fraction} give {min_reports}"
        )
    return {
        "version": DESCRIPTION_VERSION,
        "task_id": task_id(request),
        "population_name": request.population_name,
        "initial_model": request.model.model_dump(mode="json"),
        "aggregation": {
            "kind": request.aggregation,
            "target_clients": request.clients_per_round,
            "min_reports": min_reports,
        },
        "schedule": {
            "rounds": request.rounds,
            "round_deadline_seconds": request.round_deadline_seconds,
            "total_deadline_seconds": request.rounds * request.round_deadline_seconds,
        },
        "built_by": SERVICE,
    }


def handle(raw: bytes | str) -> dict[str, Any]:
    """Request bytes -> task description; raises BadRequest."""
    return build_task(parse_request(raw))
