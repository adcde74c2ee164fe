"""`monotone`: a metric moves in one direction along a swept parameter (claim C4: the later the
switch epoch, the more CNN-like the Fourier pattern).

``arms`` lists the arms in sweep order (e.g. switch epoch 0, 2, 4, never); ``metric`` is a dotted
path read from each record's ``metrics``, then ``analysis``. With per-arm means m_i and
s = +1 (``increasing``) or -1 (``decreasing``):

- a step violates when s * (m_(i+1) - m_i) < -``tolerance``; it is significant when the one-sided
  Welch test of the reversal (H1: arm i+1 lies on the wrong side of arm i) has p < ``alpha``;
- with ``between = true`` every inner arm must also lie within the two end arms' range widened by
  ``tolerance``; an excursion is significant when the one-sided Welch test against the nearer end
  has p < ``alpha``;
- pass: no violation and the end-to-end change s * (m_last - m_first) significant (one-sided
  Welch); fail: a significant violation or the ends significantly reversed; inconclusive
  otherwise (a violation within noise, a trend that is not significant, too few seeds).

``min_seeds = 1`` allows a descriptive verdict on single runs (no test: pass when no step
violates and the ends differ by more than the tolerance); the detail then says so.
"""

from __future__ import annotations

from typing import Any

from . import stats
from .common import fmt_p, gather, hedge, verdict
from .context import CheckContext
from .params import CheckParams
from .registry import register_check
from .types import Verdict

WRONG = {"increasing": "less", "decreasing": "greater"}   # alternative meaning "later arm on the wrong side"
RIGHT = {"increasing": "greater", "decreasing": "less"}


@register_check("monotone")
def monotone(check: dict[str, Any], ctx: CheckContext) -> list[Verdict]:
    P = CheckParams(check, ctx)
    arms = P.arms("arms", min_len=2)
    metric = P.text("metric", "test_acc")
    direction = P.choice("direction", ("increasing", "decreasing"))
    tol, alpha = P.num("tolerance", 0.0, lo=0.0), P.alpha()
    between = P.flag("between", False)
    min_seeds = P.int_("min_seeds", 2, lo=1)
    labels = P.fraction_labels()
    P.done()
    return [_one(ctx, arms, label, metric, direction, tol, alpha, between, min_seeds) for label in labels]


def _one(ctx: CheckContext, arms: list[str], label: str, metric: str, direction: str, tol: float, alpha: float,
         between: bool, min_seeds: int) -> Verdict:
    name = f"monotone: {metric} {direction} over {' → '.join(arms)} @ {label}"
    gs = [gather(ctx, a, label, metric) for a in arms]
    problems = [p for g in gs for p in g.problems]
    dev = ctx.device_problem(arms, [label])
    if dev:
        return verdict("monotone", name, "inconclusive", dev, ctx, arms, label)
    empty = [g.arm for g in gs if not g.values]
    if empty:
        return verdict("monotone", name, "not run", f"no {metric} for {', '.join(empty)}; " + "; ".join(problems),
                       ctx, arms, label)
    s = 1.0 if direction == "increasing" else -1.0
    means = [stats.summarize(g.values).mean for g in gs]
    nums: dict[str, Any] = {"means": dict(zip(arms, means))}
    curve = ", ".join(f"{a} {m:.4g}" for a, m in zip(arms, means))
    testable = min(len(g.values) for g in gs) >= 2
    if not testable and min_seeds >= 2:
        return verdict("monotone", name, "inconclusive", f"[{curve}]; Welch tests need >= 2 seeds per arm "
                       f"(set min_seeds = 1 for a descriptive verdict)", ctx, arms, label, **nums)
    sig: list[str] = []
    soft: list[str] = []
    for g0, g1, m0, m1 in zip(gs, gs[1:], means, means[1:]):
        if s * (m1 - m0) < -tol:
            t = stats.welch(g1.values, g0.values, WRONG[direction])
            msg = f"{g0.arm} → {g1.arm} goes the wrong way by {abs(m1 - m0):.4g}" + (f" ({fmt_p(t.pvalue)})" if t else "")
            (sig if t and t.pvalue < alpha else soft).append(msg)
    if between and len(gs) > 2:
        lo_g, hi_g = sorted((gs[0], gs[-1]), key=lambda g: stats.summarize(g.values).mean)
        lo, hi = stats.summarize(lo_g.values).mean, stats.summarize(hi_g.values).mean
        for g, m in zip(gs[1:-1], means[1:-1]):
            if m < lo - tol or m > hi + tol:
                end, alt = (lo_g, "less") if m < lo else (hi_g, "greater")
                t = stats.welch(g.values, end.values, alt)
                msg = f"{g.arm} ({m:.4g}) outside the ends [{lo:.4g}, {hi:.4g}]" + (f" ({fmt_p(t.pvalue)})" if t else "")
                (sig if t and t.pvalue < alpha else soft).append(msg)
    change = s * (means[-1] - means[0])
    end_t = stats.welch(gs[-1].values, gs[0].values, RIGHT[direction])
    rev_t = stats.welch(gs[-1].values, gs[0].values, WRONG[direction])
    rule = f"[{curve}] (tolerance {tol:g}, α={alpha:g})"
    if end_t:
        nums["p"] = end_t.pvalue
        rule += f"; end to end {change:+.4g} in the {direction} direction, {fmt_p(end_t.pvalue)}"
    if sig or (rev_t and rev_t.pvalue < alpha):
        status, why = "fail", "; ".join(sig) or "the ends are significantly reversed"
    elif soft:
        status, why = "inconclusive", "; ".join(soft) + " (within noise)"
    elif not testable:
        ok = change > tol
        status = "pass" if ok else "inconclusive"
        why = ("descriptive only (single seeds, no test): every step within tolerance and the ends differ"
               if ok else "descriptive only: the ends do not differ by more than the tolerance")
    elif end_t and end_t.pvalue < alpha:
        status, why = "pass", "every step within tolerance and the trend is significant"
    else:
        status, why = "inconclusive", "no step reverses, but the end-to-end trend is not significant"
    detail = f"{rule}; {why}"
    status, detail = hedge(status, detail, problems)
    return verdict("monotone", name, status, detail, ctx, arms, label, **nums)
