"""`band`: an arm's measured seeds against a reported number or a reference list of runs.

Three rules, chosen by what the reference offers (the verdict's detail names the rule used):

- list     (``reference_arm``, or a reported entry with per-run ``values``): two-sided Welch
            t-test at ``alpha``; pass unless the difference is significant AND the location
            difference exceeds ``floor`` points (default 0.5, the CIFAR seed spread).
- spread   (a reported entry with a per-run ``spread``): with the source's ``n`` >= 2, Welch from
            summary statistics as in the list rule; without ``n`` the reported number is taken as
            one run and the band is max(floor, z_(1-alpha/2) * spread * sqrt(1 + 1/n_measured)).
- single   (a reported number alone): pass when |location - value| <= ``tolerance``
            (default: ``floor``).

``equivalence = true`` asks for positive evidence instead, the claim "reproduces": two one-sided
tests (TOST) against a stated ``margin`` (default: the floor). pass when both reject, i.e. the
(1 - 2 alpha) interval of the difference lies within ±margin (Welch against a list of runs; a
one-sample t interval against a reported number, which is taken as a constant: the margin has
to absorb the source's own seed noise); fail when the difference lies significantly beyond the
margin; inconclusive otherwise. A false pass (a true difference of at least the margin) has
probability <= alpha; docs/STATISTICS.md measures it.

With a reported ``reference`` the metric defaults to the one the source reports (``test_acc``
for a final-epoch figure, ``test_acc_best`` for a best-epoch one), and the detail says which.

Location is the olympic mean (best and worst seed dropped) with at least 5 seeds, else the mean.
Missing planned runs or non-finite values make the verdict inconclusive, naming them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..baselines import Baselines, Reported
from ..errors import BenchError
from ..records.metrics import DEFAULT_METRIC
from ..records.view import TierView
from . import stats
from .common import Gathered, fmt_p, gather, hedge, verdict
from .params import DEFAULT_ALPHA, CheckParams
from .registry import RULES, register_check
from .types import Verdict


@dataclass(frozen=True)
class Rule:
    """A band check's table, read once; the field defaults are the check's defaults.

    ``tolerance`` and ``margin`` default to the floor; ``margin`` is read only with
    ``equivalence = true`` (otherwise it equals the floor and ``done()`` refuses the key).
    """

    arms: tuple[str, ...]
    labels: tuple[str, ...]  # the data labels it judges (with ``reference``: those at its fraction)
    rep: Reported | None  # the reported baseline (``reference``), or None with ``reference_arm``
    ref_arm: str | None
    tolerance: float
    margin: float
    metric: str = DEFAULT_METRIC  # with ``reference``: the metric the source reports
    alpha: float = DEFAULT_ALPHA
    floor: float = 0.5  # points: the CIFAR seed spread
    equivalence: bool = False

    @classmethod
    def parse(cls, check: dict[str, Any], view: TierView, baselines: Baselines) -> Rule:
        params = CheckParams(check, view)
        arms = params.arms("arms") if params.has("arms") else [params.arm("arm")]
        if params.has("reference") == params.has("reference_arm"):
            raise params.error(
                "reference", "give exactly one of 'reference' (a reported baseline id) or 'reference_arm'"
            )
        rep: Reported | None = _reported(params, view, baselines) if params.has("reference") else None
        metric = params.text("metric", rep.metric if rep else cls.metric)
        if rep and rep.metric != metric:
            raise params.error(
                "metric",
                f"{rep.id} reports {rep.metric!r} ({rep.statistic}), the check reads {metric!r}: "
                "a band compares the statistic its source reports",
            )
        alpha, floor = params.alpha(cls.alpha), params.num("floor", cls.floor, lo=0.0)
        labels = params.fraction_labels()
        ref_arm: str | None = None
        if rep:
            labels = [lab for lab in labels if math.isclose(view.fractions()[lab], rep.fraction)]
            if not labels:
                raise params.error("reference", f"{rep.id} is at data fraction {rep.fraction:g}; the tier has none")
        else:
            ref_arm = params.arm("reference_arm")
        tolerance = params.num("tolerance", floor, lo=0.0)
        equivalence = params.flag("equivalence", cls.equivalence)
        margin = params.num("margin", floor, lo=0.0, open_lo=True) if equivalence else floor
        params.done()
        return cls(tuple(arms), tuple(labels), rep, ref_arm, tolerance, margin, metric, alpha, floor, equivalence)


RULES.add("band", Rule.parse)


@register_check("band")
def band(check: dict[str, Any], view: TierView, baselines: Baselines) -> list[Verdict]:
    r = Rule.parse(check, view, baselines)
    out = []
    for arm in r.arms:
        for label in r.labels:
            out.append(
                _judge_arm(
                    view,
                    arm,
                    label,
                    r.metric,
                    r.alpha,
                    r.floor,
                    r.tolerance,
                    r.rep,
                    r.ref_arm,
                    r.equivalence,
                    r.margin,
                )
            )
    return out


def decide_equivalence(
    measured: np.ndarray, reference: np.ndarray | float, margin: float, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TOST on a batch: ``measured`` (S, n) against runs (S, m) or a reported constant.
    Returns (status, p_equivalent, p_beyond)."""
    p_eq, p_beyond = stats.tost_p(measured, reference, margin)
    status = np.where(p_eq < alpha, "pass", np.where(p_beyond < alpha, "fail", "inconclusive"))
    return status, p_eq, p_beyond


def _reported(params: CheckParams, view: TierView, baselines: Baselines) -> Reported:
    rid = params.text("reference")
    try:
        rep = baselines.get_reported(rid)
    except BenchError as exc:
        raise params.error("reference", str(exc)) from None
    source = view.suite.tier(view.tier)["data"]["source"]
    if not re.fullmatch(rf"{re.escape(rep.dataset)}(-.*)?", source):
        raise params.error(
            "reference", f"{rid} is measured on {rep.dataset!r} but tier {view.tier!r} trains on {source!r}"
        )
    return rep


def _judge_arm(
    view: TierView,
    arm: str,
    label: str,
    metric: str,
    alpha: float,
    floor: float,
    tolerance: float,
    rep: Reported | None,
    ref_arm: str | None,
    equivalence: bool = False,
    margin: float = 0.5,
) -> Verdict:
    ref_name = rep.id if rep else ref_arm
    name = f"band: {arm} vs {ref_name} @ {label}"
    arms = [arm] + ([ref_arm] if ref_arm else [])
    g = gather(view, arm, label, metric)
    problems = list(g.problems)
    ref_values: list[float] | None = None
    if ref_arm:
        rg = gather(view, ref_arm, label, metric)
        problems += rg.problems
        ref_values = rg.values
    elif rep and rep.values:
        ref_values = list(rep.values)
    dev = view.device_problem(arms, [label])
    if dev:
        return verdict("band", name, "inconclusive", dev, view, arms, label)
    if not g.values or (ref_values is not None and not ref_values):
        return verdict("band", name, "not run", "; ".join(problems) or "no runs recorded", view, arms, label)
    m = stats.summarize(g.values)
    if equivalence:
        status, detail, nums = _tost_rule(m, g.values, ref_values, rep, alpha, margin)
    elif ref_values is not None:
        status, detail, nums = _list_rule(m, stats.summarize(ref_values), g, ref_values, alpha, floor)
    elif rep and rep.spread is not None:
        status, detail, nums = _spread_rule(m, rep, alpha, floor)
    else:
        assert rep is not None
        status, detail, nums = _single_rule(m, rep, tolerance)
    nums["metric"] = metric
    if rep:
        nums.update(
            reference=rep.value,
            reference_id=rep.id,
            reference_label=rep.short(),
            source=rep.cite(),
            url=rep.url,
            statistic=rep.statistic,
        )
        detail += f"; reference {rep.id}: {rep.cite()}, a {rep.statistic} figure, compared with {metric}" + (
            " (the source gives it as approximate)" if rep.approximate else ""
        )
    else:
        nums.update(reference_arm=ref_arm, reference_label=f"arm {ref_arm}", source="this run")
    status, detail = hedge(status, detail, problems)
    return verdict("band", name, status, detail, view, arms, label, **nums)


def _tost_rule(
    m: stats.Summary,
    values: list[float],
    ref_values: list[float] | None,
    rep: Reported | None,
    alpha: float,
    margin: float,
) -> tuple[str, str, dict[str, Any]]:
    nums: dict[str, Any] = {
        "rule": "equivalence",
        "measured": m.mean,
        "std": m.std,
        "n": m.n,
        "band": f"TOST ±{margin:g}, α={alpha:g}",
    }
    if ref_values is not None:
        r = stats.summarize(ref_values)
        target: np.ndarray | float = np.asarray([ref_values])
        against, centre = f"reference {r.describe()}", r.mean
        enough = m.n >= 2 and r.n >= 2
    else:
        assert rep is not None
        target, against, centre = rep.value, f"reported {rep.value:g} (taken as a constant)", rep.value
        enough = m.n >= 2
    nums["reference"] = centre
    diff = m.mean - centre
    head = f"measured {m.describe()} vs {against}, diff {diff:+.2f}"
    if not enough:
        return "inconclusive", f"equivalence (TOST) needs >= 2 values per side; {head}", nums
    st, p_eq, p_beyond = decide_equivalence(np.asarray([values]), target, margin, alpha)
    nums.update(p=float(p_eq[0]), p_beyond=float(p_beyond[0]), lo=centre - margin, hi=centre + margin)
    rule = (
        f"equivalence (TOST, margin ±{margin:g}, α={alpha:g}): {head}; {fmt_p(float(p_eq[0]))} for "
        f"|diff| < {margin:g}, {fmt_p(float(p_beyond[0]))} for |diff| > {margin:g}"
    )
    why = {
        "pass": "shown to be within the margin",
        "fail": "significantly beyond the margin",
        "inconclusive": "too noisy to show equivalence or a difference beyond the margin",
    }[str(st[0])]
    return str(st[0]), f"{rule}: {why}", nums


def _list_rule(
    m: stats.Summary, r: stats.Summary, g: Gathered, ref: list[float], alpha: float, floor: float
) -> tuple[str, str, dict[str, Any]]:
    nums: dict[str, Any] = {
        "rule": "list",
        "measured": m.location,
        "std": m.std,
        "n": m.n,
        "reference": r.location,
        "band": f"Welch α={alpha:g}, floor {floor:g}",
    }
    test = stats.welch(g.values, ref, "two-sided")
    diff = m.location - r.location
    head = f"measured {m.describe()} vs reference {r.describe()}, diff {diff:+.2f}"
    if test is None:
        return "inconclusive", f"list rule needs >= 2 values per side (measured {m.n}, reference {r.n}); {head}", nums
    nums["p"] = test.pvalue
    ci = stats.welch_ci(g.values, ref, 1 - alpha)
    ci_txt = f", {100 * (1 - alpha):g}% CI of mean diff [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else ""
    rule = f"list rule (two-sided Welch, α={alpha:g}, floor {floor:g}): {head}, {fmt_p(test.pvalue)}{ci_txt}"
    if test.pvalue >= alpha:
        return "pass", f"{rule}; not significantly different", nums
    if abs(diff) <= floor:
        return "pass", f"{rule}; significant but within the floor", nums
    return "fail", f"{rule}; significant and |diff| > floor", nums


def _spread_rule(m: stats.Summary, rep: Reported, alpha: float, floor: float) -> tuple[str, str, dict[str, Any]]:
    assert rep.spread is not None
    diff = m.location - rep.value
    nums: dict[str, Any] = {"rule": "spread", "measured": m.location, "std": m.std, "n": m.n}
    head = f"measured {m.describe()} vs reported {rep.value:g} (per-run sd {rep.spread:g}), diff {diff:+.2f}"
    if rep.n and rep.n >= 2 and m.n >= 2:
        test = stats.welch_from_stats(m.mean, m.std, m.n, rep.value, rep.spread, rep.n, "two-sided")
        assert test is not None
        nums.update(p=test.pvalue, band=f"Welch α={alpha:g}, floor {floor:g}")
        rule = (
            f"spread rule (Welch from stats, n_ref={rep.n}, α={alpha:g}, floor {floor:g}): {head}, {fmt_p(test.pvalue)}"
        )
        ok = test.pvalue >= alpha or abs(diff) <= floor
        return ("pass" if ok else "fail"), rule, nums
    half = max(floor, stats.prediction_halfwidth(rep.spread, m.n, alpha))
    nums.update(band=f"[{rep.value - half:.2f}, {rep.value + half:.2f}]", lo=rep.value - half, hi=rep.value + half)
    rule = (
        f"spread rule (reported value taken as one run: ±max(floor {floor:g}, z·sd·√(1+1/{m.n})) = ±{half:.2f} "
        f"at α={alpha:g}): {head}"
    )
    return ("pass" if abs(diff) <= half else "fail"), rule, nums


def _single_rule(m: stats.Summary, rep: Reported, tolerance: float) -> tuple[str, str, dict[str, Any]]:
    diff = m.location - rep.value
    nums: dict[str, Any] = {
        "rule": "single",
        "measured": m.location,
        "std": m.std,
        "n": m.n,
        "band": f"[{rep.value - tolerance:.2f}, {rep.value + tolerance:.2f}]",
        "lo": rep.value - tolerance,
        "hi": rep.value + tolerance,
    }
    rule = (
        f"single-number rule (no spread reported; pass when |diff| <= tolerance {tolerance:g}): "
        f"measured {m.describe()} vs reported {rep.value:g}, diff {diff:+.2f}"
    )
    return ("pass" if abs(diff) <= tolerance else "fail"), rule, nums
