"""What the training core returns to the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainResult:
    status: str  # "complete" or "failed"
    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    # {params_start, params_end, gflops_start, gflops_end}: before the first and after the last switch
    model_stats: dict[str, Any] | None = None
