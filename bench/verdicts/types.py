"""Verdict: the outcome of one declared check, with what it compared."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "inconclusive", "not run")
EXPECTS = ("pass", "fail", "not pass")  # a control check's stated outcome (check key ``expect``)


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
    expect: str = ""  # a control's stated outcome (EXPECTS); "" for a claim check
    complete: bool = True  # every planned run of its arms (and data) has a record: a control is judged only then

    @property
    def as_expected(self) -> bool | None:
        """None for a claim check; for a control, whether the outcome is the stated one. "not pass"
        needs fail or inconclusive on complete runs: a control that did not run, or ran in part, is
        no evidence that the instrument stays silent."""
        if not self.expect:
            return None
        if self.expect == "not pass":
            return self.complete and self.status in ("fail", "inconclusive")
        return self.status == self.expect

    @property
    def gate_status(self) -> str:
        """What gates and summaries read: a control's status is pass when as expected, else fail."""
        ok = self.as_expected
        return self.status if ok is None else ("pass" if ok else "fail")

    def shown(self) -> str:
        """The verdict as tables print it: a control says whether it came out as expected."""
        ok = self.as_expected
        if ok is None:
            return self.status + ("" if self.decides else " (informative)")
        if ok:
            return f"control: as expected ({self.status})"
        return f"control: NOT as expected ({self.status}; expected {self.expect})"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"verdict status {self.status!r} not in {STATUSES}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"as_expected": self.as_expected}
