"""Smoke-tier pipeline health: the loss went down and accuracy beat chance by a stated margin.

Per arm and data fraction: every seed must have (a) last-epoch train loss below the first
epoch's and (b) test top-1 >= 100/C + ``margin`` points. The margin is stated in the suite file.
No statistics are claimed here: it says the pipeline trains, not that the paper holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..baselines import Baselines
from ..records.metrics import TEST_ACC, TRAIN_LOSS
from ..records.view import TierView
from .params import CheckParams
from .registry import RULES, register_check
from .types import Verdict


@dataclass(frozen=True)
class Rule:
    """A health check's table, read once; the field defaults are the check's defaults."""

    arms: tuple[str, ...]  # default every arm of the tier
    margin: float = 5.0  # points of top-1 above chance

    @classmethod
    def parse(cls, check: dict[str, Any], view: TierView, baselines: Baselines | None = None) -> Rule:
        params = CheckParams(check, view)
        margin = params.num("margin", cls.margin, lo=0.0)  # below chance is not healthy: a negative one never fails
        arms = tuple(params.arms("arms", default=view.arms))
        params.done()
        return cls(arms, margin)


RULES.add("health", Rule.parse)


@register_check("health")
def health(check: dict[str, Any], view: TierView, baselines: Baselines) -> list[Verdict]:
    rule = Rule.parse(check, view, baselines)
    margin = rule.margin
    out = []
    for arm in rule.arms:
        for label in view.data_labels():
            seeds = view.planned_seeds(arm, label)
            recs = [r for r in view.arm_records(arm, label) if r.seed in seeds]  # an unplanned seed proves nothing
            name = f"health: {arm} @ {label}"
            planned = len(seeds)
            if not recs and not planned:
                continue  # the arm does not run at this fraction (tiers.T.overrides.ARM.fractions)
            if not recs:
                out.append(
                    Verdict(
                        "health",
                        name,
                        "not run",
                        f"0/{planned} runs recorded",
                        arms=[arm],
                        data=label,
                        compared=view.compared([arm], label),
                    )
                )
                continue
            first = recs[0]
            chance = 100.0 / first.config["data"].get("num_classes", first.metrics.get("num_classes", 10))
            bad, missing = [], []
            for r in recs:
                h = r.history
                acc = r.metric(TEST_ACC)
                if acc is None or len(h) < 2:
                    missing.append(f"seed {r.seed}: no {TEST_ACC} or fewer than 2 epochs of history")
                    continue
                # NaN compares False with everything: a NaN loss or accuracy must fail, not slip through
                first_loss, last_loss = h[0][TRAIN_LOSS], h[-1][TRAIN_LOSS]
                if not last_loss < first_loss:
                    bad.append(f"seed {r.seed}: train loss did not fall ({first_loss:.3f} -> {last_loss:.3f})")
                if not (isinstance(acc, (int, float)) and math.isfinite(acc) and acc >= chance + margin):
                    bad.append(f"seed {r.seed}: top-1 {acc:.1f}% < chance {chance:.1f}% + {margin:g}")
            accs = ", ".join(f"{r.metrics.get(TEST_ACC, float('nan')):.1f}" for r in recs)
            if bad:
                status, detail = "fail", "; ".join(bad + missing)
            elif missing:
                status, detail = "inconclusive", "; ".join(missing)
            elif len(recs) < planned:
                absent = ", ".join(str(x) for x in seeds if x not in {r.seed for r in recs})
                status, detail = (
                    "inconclusive",
                    f"{len(recs)}/{planned} runs recorded (missing seeds {absent}); top-1 [{accs}]",
                )
            else:
                status = "pass"
                detail = f"loss fell on every seed; top-1 [{accs}] >= chance {chance:.1f}% + {margin:g}"
            out.append(
                Verdict("health", name, status, detail, arms=[arm], data=label, compared=view.compared([arm], label))
            )
    return out
