"""One suite tier's current results: its planned runs and the records that count for them.

``build_tier_view`` is the one place that decides which records belong to a tier: complete
records of the same suite, version and tier whose config hash is today's plan's. Records of
another config are counted as ``stale``, never mixed in. Verdicts, leaderboard tables and plots
all read the same ``TierView``.

Devices are checked per comparison (``device_problem``), not here: one tier may legitimately
hold arms run on different machines, which then cannot be compared with each other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..errors import BenchError
from ..suite.load import Suite
from ..suite.plan import RunSpec, plan_runs
from .metrics import DEFAULT_METRIC
from .record import RunRecord


@dataclass(frozen=True)
class TierView:
    suite: Suite
    tier: str
    planned: list[RunSpec]  # today's plan for the tier (its seeds unless told otherwise)
    records: list[RunRecord]  # complete records of this suite/version/tier whose config hash matches the plan
    stale: int = 0  # complete records of this suite/version/tier made with another config
    _by_arm: dict[str, list[RunRecord]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        want = (self.suite.name, self.suite.version, self.tier)
        for rec in self.records:
            got = (rec.suite, rec.version, rec.tier)
            if got != want:
                raise BenchError(
                    f"refusing to judge {want[0]} v{want[1]} tier {want[2]!r} with a record of "
                    f"{got[0]} v{got[1]} tier {got[2]!r} ({rec.arm}, seed {rec.seed}): "
                    "a verdict never mixes suite versions or tiers"
                )
        by_arm: dict[str, list[RunRecord]] = defaultdict(list)
        for rec in sorted(self.records, key=lambda r: (r.data_label, r.seed)):
            by_arm[rec.arm].append(rec)
        object.__setattr__(self, "_by_arm", dict(by_arm))

    @property
    def arms(self) -> list[str]:
        """The tier's arms, in suite order."""
        return self.suite.tier_arms(self.tier)

    def data_labels(self) -> list[str]:
        """Data labels of the plan, in plan order (one per data fraction)."""
        return list(self.fractions())

    def fractions(self) -> dict[str, float]:
        """data label -> training-set fraction, in plan order."""
        out: dict[str, float] = {}
        for spec in self.planned:
            out.setdefault(spec.data_label, float(spec.config["data"].get("fraction", 1.0)))
        return out

    def arm_records(self, arm: str, data_label: str | None = None) -> list[RunRecord]:
        """This arm's records (at one data label, or all), by data label and seed."""
        return [r for r in self._by_arm.get(arm, []) if data_label is None or r.data_label == data_label]

    def values(self, arm: str, data_label: str | None = None, metric: str = DEFAULT_METRIC) -> list[float]:
        """``metric`` of this arm's records, by seed (``RunRecord.value``: a metric or an analysis path).

        Every complete record has ``test_acc`` (the record schema requires it); a record without a
        number for another ``metric`` is a BenchError naming it (checks use ``verdicts.common.gather``,
        which reports such runs in the verdict instead).
        """
        out = []
        for r in self.arm_records(arm, data_label):
            v = r.value(metric)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise BenchError(f"run {r.run_id} has no number for {metric!r} (got {v!r})")
            out.append(float(v))
        return out

    def planned_seeds(self, arm: str, data_label: str | None = None) -> list[int]:
        return sorted(
            s.seed for s in self.planned if s.arm == arm and (data_label is None or s.data_label == data_label)
        )

    def planned_count(self, arm: str, data_label: str | None = None) -> int:
        return len(self.planned_seeds(arm, data_label))

    def planned_hash(self, arm: str, data_label: str) -> str | None:
        return next((s.config_hash for s in self.planned if s.arm == arm and s.data_label == data_label), None)

    def devices(self, arms: list[str] | None = None, data_label: str | None = None) -> list[str]:
        """Device labels (``RunRecord.device_label``) of these arms' records, or of all."""
        recs = self.records if arms is None else [r for a in arms for r in self.arm_records(a, data_label)]
        return sorted({r.device_label for r in recs})

    def device_problem(self, arms: list[str], data_labels: list[str] | None = None) -> str | None:
        """Why these arms' records cannot be compared (several devices), or None."""
        labels: list[str | None] = list(data_labels) if data_labels else [None]
        per_arm = {a: sorted({r.device_label for lab in labels for r in self.arm_records(a, lab)}) for a in arms}
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


def build_tier_view(suite: Suite, tier: str, records: list[RunRecord], seeds: list[int] | None = None) -> TierView:
    """The tier's plan (its seeds, or ``seeds``) and, of ``records``, the complete ones of this suite
    version and tier whose config hash matches the plan; records of other suites, versions and tiers
    are left out, complete ones of another config counted as stale."""
    planned = plan_runs(suite, tier, seeds=seeds)
    # a record counts for the run it names only with that run's config: a record relabelled to
    # another arm (or fraction) keeps its own config hash and counts nowhere
    current = {(s.arm, s.data_label): s.config_hash for s in (planned or plan_runs(suite, tier, seeds=[0]))}
    same = [r for r in records if (r.suite, r.version, r.tier) == (suite.name, suite.version, tier) and r.complete]
    fresh = [r for r in same if current.get((r.arm, r.data_label)) == r.config_hash]
    return TierView(suite, tier, planned, fresh, stale=len(same) - len(fresh))
