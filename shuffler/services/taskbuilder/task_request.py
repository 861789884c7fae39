"""What a client may ask for: the validated request of a federated task."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelRef(BaseModel):
    """The initial model, named by location and pinned by content hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uri: str = Field(pattern=r"^(gs|https)://\S+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class TaskRequest(BaseModel):
    """A request to run federated training over one population of devices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    population_name: str = Field(pattern=r"^[a-z][a-z0-9_/-]{0,127}$")
    model: ModelRef
    rounds: int = Field(ge=1, le=10_000)
    clients_per_round: int = Field(ge=1, le=1_000_000)
    # Share of the selected clients whose reports must arrive for a round to count.
    min_report_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    aggregation: Literal["fedavg", "secure_aggregation"] = "fedavg"
    round_deadline_seconds: int = Field(default=600, ge=60, le=86_400)
