"""Verdict: the outcome of one declared check, with what it compared."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "inconclusive", "not run")


@dataclass
class Verdict:
    check: str  # kind, e.g. "health", "band", "order"
    name: str  # a readable id, e.g. "order: prs > convit"
    status: str  # one of STATUSES
    detail: str  # one line: the rule and the numbers
    claim: str = ""  # C1..C6 or "" for pipeline checks
    compared: dict[str, Any] = field(default_factory=dict)  # suite, version, tier, data, n, device
    arms: list[str] = field(default_factory=list)  # arms the verdict speaks about
    data: str = ""  # the data label it speaks about; "" when it spans several
    numbers: dict[str, Any] = field(default_factory=dict)  # measured/reference/band/p for tables and plots
    decides: bool = True  # the tier expects this check to decide (pass/fail); `leaderboard --strict` requires it

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"verdict status {self.status!r} not in {STATUSES}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
