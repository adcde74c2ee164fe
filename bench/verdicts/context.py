"""What a check sees: one suite version and tier, its complete current records, grouped by arm."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..suite import RunSpec, Suite


@dataclass
class CheckContext:
    suite: Suite
    tier: str
    planned: list[RunSpec]
    records: list[dict[str, Any]]          # complete records matching the planned config hashes
    baselines: Any = None                   # bench.baselines store, when checks need references
    stale: int = 0                          # records skipped because their config hash changed
    by_arm: dict[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_arm = defaultdict(list)
        for rec in self.records:
            self.by_arm[rec["arm"]].append(rec)

    def data_labels(self) -> list[str]:
        seen: dict[str, None] = {}
        for spec in self.planned:
            seen.setdefault(spec.data_label)
        return list(seen)

    def arm_records(self, arm: str, data_label: str | None = None) -> list[dict[str, Any]]:
        recs = self.by_arm.get(arm, [])
        return [r for r in recs if data_label is None or r["data_label"] == data_label]

    def values(self, arm: str, data_label: str | None = None, metric: str = "test_acc") -> list[float]:
        return [float(r["metrics"][metric]) for r in sorted(self.arm_records(arm, data_label), key=lambda r: r["seed"])]

    def planned_count(self, arm: str, data_label: str | None = None) -> int:
        return sum(1 for s in self.planned if s.arm == arm and (data_label is None or s.data_label == data_label))

    def devices(self, arms: list[str] | None = None) -> list[str]:
        recs = self.records if arms is None else [r for a in arms for r in self.arm_records(a)]
        return sorted({r.get("provenance", {}).get("device_name", "?") for r in recs})

    def compared(self, arms: list[str], data_label: str | None = None) -> dict[str, Any]:
        """The 'what was compared' block every verdict carries."""
        return {
            "suite": self.suite.name,
            "version": self.suite.version,
            "tier": self.tier,
            "data": data_label or ",".join(self.data_labels()),
            "n": {a: len(self.arm_records(a, data_label)) for a in arms},
            "device": ",".join(self.devices(arms)) or "-",
        }
