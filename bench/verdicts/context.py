"""What a check sees: one suite version and tier, its complete current records, grouped by arm.

The context refuses records of another suite, version or tier (BenchError): a verdict never mixes
them. Devices are checked per comparison (``device_problem``) because one tier may legitimately
hold arms run on different machines, which then cannot be compared.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..errors import BenchError
from ..suite import RunSpec, Suite


@dataclass
class CheckContext:
    suite: Suite
    tier: str
    planned: list[RunSpec]
    records: list[dict[str, Any]]  # complete records matching the planned config hashes
    baselines: Any = None  # bench.baselines.Baselines, when checks need references
    stale: int = 0  # records skipped because their config hash changed
    by_arm: dict[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        want = (self.suite.name, self.suite.version, self.tier)
        for rec in self.records:
            got = (rec.get("suite"), rec.get("version"), rec.get("tier"))
            if got != want:
                raise BenchError(
                    f"refusing to judge {want[0]} v{want[1]} tier {want[2]!r} with a record of "
                    f"{got[0]} v{got[1]} tier {got[2]!r} ({rec.get('arm')}, seed {rec.get('seed')}): "
                    "a verdict never mixes suite versions or tiers"
                )
        self.by_arm = defaultdict(list)
        for rec in self.records:
            self.by_arm[rec["arm"]].append(rec)

    def data_labels(self) -> list[str]:
        seen: dict[str, None] = {}
        for spec in self.planned:
            seen.setdefault(spec.data_label)
        return list(seen)

    def fractions(self) -> dict[str, float]:
        """data label -> training-set fraction, in plan order."""
        out: dict[str, float] = {}
        for spec in self.planned:
            out.setdefault(spec.data_label, float(spec.config["data"].get("fraction", 1.0)))
        return out

    def arm_records(self, arm: str, data_label: str | None = None) -> list[dict[str, Any]]:
        recs = self.by_arm.get(arm, [])
        return [r for r in recs if data_label is None or r["data_label"] == data_label]

    def values(self, arm: str, data_label: str | None = None, metric: str = "test_acc") -> list[float]:
        return [float(r["metrics"][metric]) for r in sorted(self.arm_records(arm, data_label), key=lambda r: r["seed"])]

    def planned_count(self, arm: str, data_label: str | None = None) -> int:
        return sum(1 for s in self.planned if s.arm == arm and (data_label is None or s.data_label == data_label))

    def planned_hash(self, arm: str, data_label: str) -> str | None:
        return next((s.config_hash for s in self.planned if s.arm == arm and s.data_label == data_label), None)

    def devices(self, arms: list[str] | None = None, data_label: str | None = None) -> list[str]:
        recs = self.records if arms is None else [r for a in arms for r in self.arm_records(a, data_label)]
        return sorted({device_of(r) for r in recs})

    def device_problem(self, arms: list[str], data_labels: list[str] | None = None) -> str | None:
        """Why these arms' records cannot be compared (several devices), or None."""
        labels: list[str | None] = list(data_labels) if data_labels else [None]
        per_arm = {a: sorted({device_of(r) for lab in labels for r in self.arm_records(a, lab)}) for a in arms}
        found = sorted({d for ds in per_arm.values() for d in ds})
        if len(found) <= 1:
            return None
        where = "; ".join(f"{a}: {', '.join(ds) or '-'}" for a, ds in per_arm.items())
        return f"records come from {len(found)} devices ({where}); a verdict never mixes devices: rerun on one"

    def compared(self, arms: list[str], data_label: str | None = None) -> dict[str, Any]:
        """The 'what was compared' block every verdict carries."""
        return {
            "suite": self.suite.name,
            "version": self.suite.version,
            "tier": self.tier,
            "data": data_label or ",".join(self.data_labels()),
            "n": {a: len(self.arm_records(a, data_label)) for a in arms},
            "device": ",".join(self.devices(arms, data_label)) or "-",
        }


def device_of(record: dict[str, Any]) -> str:
    """The device name, plus the runtime (precision, compile, ranks) when the record has one: records
    that differ in either are never pooled (a bf16 and an fp32 run are different measurements)."""
    name = str(record.get("provenance", {}).get("device_name", "?"))
    rt = record.get("runtime")
    if not rt:
        return name
    return f"{name} [{rt.get('precision')}, {'compiled' if rt.get('compile') else 'eager'}, {rt.get('world_size')} rank(s)]"


def metric_value(record: dict[str, Any], path: str) -> Any:
    """A dotted metric path (list items by index, e.g. ``fourier.hf_delta.3``), looked up in record['metrics'], then record['analysis'], then the record."""
    for root in (record.get("metrics", {}), record.get("analysis", {}), record):
        node: Any = root
        for part in path.split("."):
            if isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                node = None
                break
        if node is not None:
            return node
    return None
