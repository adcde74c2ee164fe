"""`order`: arm ``a`` beats arm ``b`` (the form of claim C6: PRS beats ConViT and ResNet).

One-sided Welch t-tests at ``alpha`` on the seeds of each data fraction:
pass when mean(a) - mean(b) > ``margin`` is significant (H1: a - margin > b);
fail when mean(a) < mean(b) and the reverse one-sided test (H1: a < b) is significant;
inconclusive otherwise (no significant difference either way, fewer than 2 seeds on a side,
missing runs, or records from several devices), with the numbers in the detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..baselines import Baselines
from ..records.metrics import DEFAULT_METRIC
from ..records.view import TierView
from . import stats
from .common import fmt_p, gather, hedge, verdict
from .params import DEFAULT_ALPHA, CheckParams
from .registry import RULES, register_check
from .types import Verdict


@dataclass(frozen=True)
class Rule:
    """An order check's table, read once; the field defaults are the check's defaults."""

    a: str
    b: str
    labels: tuple[str, ...]  # the data labels it judges (``fraction``, default every fraction)
    metric: str = DEFAULT_METRIC
    alpha: float = DEFAULT_ALPHA
    margin: float = 0.0

    @classmethod
    def parse(cls, check: dict[str, Any], view: TierView, baselines: Baselines | None = None) -> Rule:
        params = CheckParams(check, view)
        a, b = params.arm("a"), params.arm("b")
        if a == b:
            raise params.error("b", f"must differ from 'a' ({a!r})")
        metric = params.text("metric", cls.metric)
        alpha, margin = params.alpha(cls.alpha), params.num("margin", cls.margin, lo=0.0)
        labels = tuple(params.fraction_labels())
        params.done()
        return cls(a, b, labels, metric, alpha, margin)


RULES.add("order", Rule.parse)


@register_check("order")
def order(check: dict[str, Any], view: TierView, baselines: Baselines) -> list[Verdict]:
    r = Rule.parse(check, view, baselines)
    return [_judge_pair(view, r.a, r.b, label, r.metric, r.alpha, r.margin) for label in r.labels]


def _judge_pair(view: TierView, a: str, b: str, label: str, metric: str, alpha: float, margin: float) -> Verdict:
    name = f"order: {a} > {b} @ {label}"
    ga, gb = gather(view, a, label, metric), gather(view, b, label, metric)
    problems = ga.problems + gb.problems
    dev = view.device_problem([a, b], [label])
    if dev:
        return verdict("order", name, "inconclusive", dev, view, [a, b], label)
    if not ga.values or not gb.values:
        return verdict("order", name, "not run", "; ".join(problems) or "no runs recorded", view, [a, b], label)
    sa, sb = stats.summarize(ga.values), stats.summarize(gb.values)
    diff = sa.mean - sb.mean
    head = f"{a} {sa.describe()} vs {b} {sb.describe()}, diff {diff:+.2f}"
    nums: dict[str, Any] = {"diff": diff}
    if min(len(ga.values), len(gb.values)) < 2:
        return verdict(
            "order",
            name,
            "inconclusive",
            f"one-sided Welch needs >= 2 seeds per arm; {head}" + (f"; {'; '.join(problems)}" if problems else ""),
            view,
            [a, b],
            label,
            **nums,
        )
    st, p_gt, p_lt = decide(np.asarray([ga.values]), np.asarray([gb.values]), alpha, margin)
    status = str(st[0])
    nums.update(p=float(p_gt[0]), p_reverse=float(p_lt[0]))
    rule = (
        f"one-sided Welch at α={alpha:g}{f', margin {margin:g}' if margin else ''}: {head}, "
        f"{fmt_p(float(p_gt[0]))} for {a} > {b}, {fmt_p(float(p_lt[0]))} for {a} < {b}"
    )
    why = {
        "pass": f"{a} significantly beats {b}",
        "fail": f"{b} significantly beats {a}",
        "inconclusive": "no significant difference either way",
    }[status]
    detail = f"{rule}; {why}"
    status, detail = hedge(status, detail, problems)
    return verdict("order", name, status, detail, view, [a, b], label, **nums)


def decide(
    a: np.ndarray, b: np.ndarray, alpha: float, margin: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule on a batch: ``a`` (..., n), ``b`` (..., m) seed values -> (status, p(a - margin > b),
    p(a < b)). Each direction is one one-sided test at ``alpha``, so either error stays <= alpha."""
    p_gt = stats.welch_p(a - margin, b, "greater")
    p_lt = stats.welch_p(a, b, "less")
    diff = a.mean(-1) - b.mean(-1)
    status = np.where(p_gt < alpha, "pass", np.where((diff < 0) & (p_lt < alpha), "fail", "inconclusive"))
    return status, p_gt, p_lt
