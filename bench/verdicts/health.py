"""Smoke-tier pipeline health: the loss went down and accuracy beat chance by a stated margin.

Per arm and data fraction: every seed must have (a) last-epoch train loss below the first
epoch's and (b) test top-1 >= 100/C + ``margin`` points. The margin is stated in the suite file.
No statistics are claimed here: it says the pipeline trains, not that the paper holds.
"""

from __future__ import annotations

import math
from typing import Any

from .context import CheckContext
from .params import CheckParams
from .registry import register_check
from .types import Verdict


@register_check("health")
def health(check: dict[str, Any], ctx: CheckContext) -> list[Verdict]:
    P = CheckParams(check, ctx)
    margin = P.num("margin", 5.0)
    arms = P.arms("arms", default=ctx.suite.tier_arms(ctx.tier))
    P.done()
    out = []
    for arm in arms:
        for label in ctx.data_labels():
            recs = ctx.arm_records(arm, label)
            name = f"health: {arm} @ {label}"
            planned = ctx.planned_count(arm, label)
            if not recs:
                out.append(
                    Verdict(
                        "health",
                        name,
                        "not run",
                        f"0/{planned} runs recorded",
                        arms=[arm],
                        data=label,
                        compared=ctx.compared([arm], label),
                    )
                )
                continue
            chance = 100.0 / recs[0]["config"]["data"].get("num_classes", recs[0]["metrics"].get("num_classes", 10))
            bad, missing = [], []
            for r in recs:
                h = r.get("history") or []
                acc = r.get("metrics", {}).get("test_acc")
                if acc is None or len(h) < 2:
                    missing.append(f"seed {r['seed']}: no test_acc or fewer than 2 epochs of history")
                    continue
                # NaN compares False with everything: a NaN loss or accuracy must fail, not slip through
                dropped = h[-1]["train_loss"] < h[0]["train_loss"]
                if not dropped:
                    bad.append(
                        f"seed {r['seed']}: train loss did not fall ({h[0]['train_loss']:.3f} -> {h[-1]['train_loss']:.3f})"
                    )
                if not (isinstance(acc, (int, float)) and math.isfinite(acc) and acc >= chance + margin):
                    bad.append(f"seed {r['seed']}: top-1 {acc:.1f}% < chance {chance:.1f}% + {margin:g}")
            accs = ", ".join(f"{r.get('metrics', {}).get('test_acc', float('nan')):.1f}" for r in recs)
            if bad:
                status, detail = "fail", "; ".join(bad + missing)
            elif missing:
                status, detail = "inconclusive", "; ".join(missing)
            elif len(recs) < planned:
                status, detail = "inconclusive", f"{len(recs)}/{planned} runs recorded; top-1 [{accs}]"
            else:
                status = "pass"
                detail = f"loss fell on every seed; top-1 [{accs}] >= chance {chance:.1f}% + {margin:g}"
            out.append(
                Verdict("health", name, status, detail, arms=[arm], data=label, compared=ctx.compared([arm], label))
            )
    return out
