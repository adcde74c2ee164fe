"""Shared steps of the statistical checks: gather one arm's values, say what is missing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..records.view import TierView
from .types import Verdict


@dataclass
class Gathered:
    """One arm's finite metric values at one data label, and what kept the rest out."""

    arm: str
    label: str
    values: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # missing runs, missing metric, NaN


def gather(view: TierView, arm: str, label: str, metric: str) -> Gathered:
    """``metric`` (``RunRecord.value``: a metric name, or a dotted analysis path) of one arm's records."""
    g = Gathered(arm, label)
    recs = view.arm_records(arm, label)
    planned = view.planned_seeds(arm, label)
    have = {r.seed for r in recs}
    missing = [s for s in planned if s not in have]
    if missing:
        g.problems.append(
            f"{arm} @ {label}: {len(recs)}/{len(planned)} runs recorded "
            f"(missing seed{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))})"
        )
    for r in recs:
        v = r.value(metric)
        if v is None:
            g.problems.append(f"{arm} seed {r.seed}: no metric {metric!r}")
        elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            g.problems.append(f"{arm} seed {r.seed}: {metric} is {v!r}")
        else:
            g.values.append(float(v))
            g.seeds.append(r.seed)
    return g


def verdict(
    check: str, name: str, status: str, detail: str, view: TierView, arms: list[str], label: str = "", **numbers: Any
) -> Verdict:
    return Verdict(
        check,
        name,
        status,
        detail,
        arms=list(arms),
        data=label,
        compared=view.compared(arms, label or None),
        numbers=numbers,
    )


def hedge(status: str, detail: str, problems: list[str]) -> tuple[str, str]:
    """Missing runs (or other named problems) turn a would-be pass or fail into inconclusive,
    keeping what the present runs would say."""
    if problems and status != "inconclusive":
        return "inconclusive", f"{'; '.join(problems)}; on the runs present it would {status}: {detail}"
    return status, detail


def fmt_p(p: float) -> str:
    if p != p:
        return "p=nan"
    return f"p={p:.3g}" if p >= 1e-4 else "p<1e-4"
