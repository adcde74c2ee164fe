"""`monotone`: a metric moves in one direction along a swept parameter (claim C4: the later the
switch epoch, the more CNN-like the Fourier pattern).

``arms`` lists the arms in sweep order (e.g. switch epoch 0, 2, 4, never); ``metric`` is a metric
name (the record's ``metrics``) or a dotted analysis path (``fourier.NAME``, read from the record's
``analysis``; ``RunRecord.value``). With per-arm means m_i and s = +1 (``increasing``) or -1
(``decreasing``):

- a step violates when s * (m_(i+1) - m_i) < -``tolerance``; its reversal test is one-sided Welch of
  H1: s * (arm i+1 - arm i) < -tolerance (a reversal beyond the tolerance);
- with ``between = true`` every inner arm must also lie within the end arms' range widened by
  ``tolerance``; each inner arm has two one-sided tests (below the first end, above the last);
- the ends reversed beyond the tolerance is one more test. All these (up to 11 for 5 arms) form
  one family, corrected by Holm: fail when any Holm-adjusted p < ``alpha``, so a false fail stays
  <= alpha however many arms;
- pass: every step shown above -``tolerance`` (one-sided Welch, H1: s * (arm i+1 - arm i) >
  -tolerance) and, with ``between``, every inner arm shown inside the widened ends, each at
  ``alpha`` (an intersection-union test: a step that truly reverses by exactly the tolerance
  passes <= alpha of the time; until suite v4 a step only had to *look* within tolerance, so
  a step reversed by exactly the tolerance passed half the time, docs/STATISTICS.md), and the
  end-to-end change s * (m_last - m_first) significant; inconclusive otherwise (a violation within noise, a trend
  that is not significant or a step not shown within tolerance, too few seeds).

``min_seeds = 1`` allows single runs; the verdict is then at best a descriptive "inconclusive"
(never a pass: with no test there is no error rate to state).
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
    """A monotone check's table, read once; the field defaults are the check's defaults."""

    arms: tuple[str, ...]  # in sweep order
    direction: str  # "increasing" or "decreasing"
    labels: tuple[str, ...]  # the data labels it judges (``fraction``, default every fraction)
    metric: str = DEFAULT_METRIC
    tolerance: float = 0.0
    alpha: float = DEFAULT_ALPHA
    between: bool = False
    min_seeds: int = 2

    @classmethod
    def parse(cls, check: dict[str, Any], view: TierView, baselines: Baselines | None = None) -> Rule:
        params = CheckParams(check, view)
        arms = tuple(params.arms("arms", min_len=2))
        metric = params.text("metric", cls.metric)
        direction = params.choice("direction", ("increasing", "decreasing"))
        tol, alpha = params.num("tolerance", cls.tolerance, lo=0.0), params.alpha(cls.alpha)
        between = params.flag("between", cls.between)
        min_seeds = params.int_("min_seeds", cls.min_seeds, lo=1)
        labels = tuple(params.fraction_labels())
        params.done()
        return cls(arms, direction, labels, metric, tol, alpha, between, min_seeds)


RULES.add("monotone", Rule.parse)


@register_check("monotone")
def monotone(check: dict[str, Any], view: TierView, baselines: Baselines) -> list[Verdict]:
    r = Rule.parse(check, view, baselines)
    return [
        _judge_sweep(view, list(r.arms), label, r.metric, r.direction, r.tolerance, r.alpha, r.between, r.min_seeds)
        for label in r.labels
    ]


def _judge_sweep(
    view: TierView,
    arms: list[str],
    label: str,
    metric: str,
    direction: str,
    tol: float,
    alpha: float,
    between: bool,
    min_seeds: int,
) -> Verdict:
    name = f"monotone: {metric} {direction} over {' → '.join(arms)} @ {label}"
    gs = [gather(view, a, label, metric) for a in arms]
    problems = [p for g in gs for p in g.problems]
    dev = view.device_problem(arms, [label])
    if dev:
        return verdict("monotone", name, "inconclusive", dev, view, arms, label)
    empty = [g.arm for g in gs if not g.values]
    if empty:
        return verdict(
            "monotone",
            name,
            "not run",
            f"no {metric} for {', '.join(empty)}; " + "; ".join(problems),
            view,
            arms,
            label,
        )
    s = 1.0 if direction == "increasing" else -1.0
    means = [stats.summarize(g.values).mean for g in gs]
    nums: dict[str, Any] = {"means": dict(zip(arms, means))}
    curve = ", ".join(f"{a} {m:.4g}" for a, m in zip(arms, means))
    testable = min(len(g.values) for g in gs) >= 2
    if not testable and min_seeds >= 2:
        return verdict(
            "monotone",
            name,
            "inconclusive",
            f"[{curve}]; Welch tests need >= 2 seeds per arm (set min_seeds = 1 for a descriptive verdict)",
            view,
            arms,
            label,
            **nums,
        )
    if not testable:
        viol = [f"{g0.arm} → {g1.arm}" for g0, g1, m0, m1 in zip(gs, gs[1:], means, means[1:]) if s * (m1 - m0) < -tol]
        change = s * (means[-1] - means[0])
        ok = not viol and change > tol
        why = (
            "descriptive only (single seeds, no test): every step within tolerance and the ends differ"
            if ok
            else "descriptive only: "
            + (f"{', '.join(viol)} go the wrong way" if viol else "the ends do not differ by more than the tolerance")
        )
        detail = f"[{curve}] (tolerance {tol:g}); {why}"
        status, detail = hedge("inconclusive", detail, problems)
        return verdict("monotone", name, status, detail, view, arms, label, **nums)
    st, p_end, adj, names, p_shown = decide(
        [np.asarray([g.values]) for g in gs], direction, tol, alpha, between, [g.arm for g in gs]
    )
    status = str(st[0])
    change = s * (means[-1] - means[0])
    rule = f"[{curve}] (tolerance {tol:g}, α={alpha:g}, Holm over {len(names)} reversal tests)"
    nums["p"] = float(p_end[0])
    rule += f"; end to end {change:+.4g} in the {direction} direction, {fmt_p(float(p_end[0]))}"
    sig = [f"{n} (Holm {fmt_p(float(p))})" for n, p in zip(names, adj[0]) if p < alpha]
    soft = [
        f"{g0.arm} → {g1.arm} goes the wrong way by {abs(m1 - m0):.4g}"
        for g0, g1, m0, m1 in zip(gs, gs[1:], means, means[1:])
        if s * (m1 - m0) < -tol
    ]
    if between and len(gs) > 2:
        lo, hi = sorted((means[0], means[-1]))
        soft += [
            f"{g.arm} ({m:.4g}) outside the ends [{lo:.4g}, {hi:.4g}]"
            for g, m in zip(gs[1:-1], means[1:-1])
            if m < lo - tol or m > hi + tol
        ]
    nums["p_holm_min"] = float(np.min(adj[0])) if adj.shape[-1] else 1.0
    nums["p_within"] = float(p_shown[0])
    if status == "fail":
        why = "significant reversal: " + "; ".join(sig)
    elif status == "inconclusive" and soft:
        why = "; ".join(soft) + " (within noise after Holm)"
    elif status == "pass":
        why = f"every step shown within tolerance ({fmt_p(float(p_shown[0]))} at most) and the trend is significant"
    elif p_end[0] < alpha:
        why = f"the trend is significant, but not every step is shown within tolerance ({fmt_p(float(p_shown[0]))} at most)"
    else:
        why = "no step reverses, but the end-to-end trend is not significant"
    detail = f"{rule}; {why}"
    status, detail = hedge(status, detail, problems)
    return verdict("monotone", name, status, detail, view, arms, label, **nums)


def decide(
    values: list[np.ndarray], direction: str, tol: float, alpha: float, between: bool, names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """The rule on a batch: ``values[i]`` (S, n_i) seed values of arm i in sweep order.

    Returns (status, p of the end-to-end trend, Holm-adjusted p of each reversal test, test names,
    the largest p of the tests that show each step and inner arm within the tolerance).
    """
    s = 1.0 if direction == "increasing" else -1.0
    v = [s * x for x in values]  # in s-space the claim is "increasing"
    arms = names or [str(i) for i in range(len(v))]
    tests, labels = [], []
    for i in range(len(v) - 1):
        tests.append(stats.welch_p(v[i + 1] + tol, v[i], "less"))
        labels.append(f"{arms[i]} → {arms[i + 1]} goes the wrong way")
    if between and len(v) > 2:
        for i in range(1, len(v) - 1):
            tests.append(stats.welch_p(v[i] + tol, v[0], "less"))
            labels.append(f"{arms[i]} outside the ends (below {arms[0]})")
            tests.append(stats.welch_p(v[i] - tol, v[-1], "greater"))
            labels.append(f"{arms[i]} outside the ends (above {arms[-1]})")
    tests.append(stats.welch_p(v[-1] + tol, v[0], "less"))
    labels.append(f"the ends are significantly reversed ({arms[0]} → {arms[-1]})")
    adj = stats.holm(np.stack(tests, axis=-1))
    p_end = stats.welch_p(v[-1], v[0], "greater")
    # pass needs every constraint shown (intersection-union: each one-sided Welch at alpha, no
    # correction): each step above -tol and, with ``between``, each inner arm inside the ends
    # widened by tol. A step that truly reverses by exactly tol then passes with probability <= alpha.
    shown = [stats.welch_p(v[i + 1] + tol, v[i], "greater") for i in range(len(v) - 1)]
    if between and len(v) > 2:
        for i in range(1, len(v) - 1):
            shown += [stats.welch_p(v[i] + tol, v[0], "greater"), stats.welch_p(v[i] - tol, v[-1], "less")]
    p_shown = np.max(np.stack(shown, axis=-1), axis=-1)
    fail = (adj < alpha).any(axis=-1)
    status = np.where(fail, "fail", np.where((p_shown < alpha) & (p_end < alpha), "pass", "inconclusive"))
    return status, p_end, adj, labels, p_shown
