"""`regression`: a rerun against this project's stored reference runs (the CI use; MLPerf RCP-like).

Reference runs come from baselines/reference for the same suite, version, tier and device, and
must carry today's config hash for that arm and data (otherwise inconclusive: re-add them).
Per arm and data fraction: location = olympic mean (best and worst dropped) with >= 5 runs,
else the mean, on each side. Test: Welch t-test on all runs, one-sided by default
(``alternative = "worse"``: H1 the rerun is worse; ``higher_is_better`` says which way is worse)
or ``"two-sided"``.

- fail when any rerun seed lies more than ``collapse`` points (default 5, about five seed
  standard deviations of CIFAR-100 top-1) beyond the worst reference run in the worse direction:
  one collapsed seed is a regression even when the olympic mean drops it and Welch's variance
  swallows it; or when p < ``alpha`` AND the location difference in the tested direction exceeds
  ``floor`` points;
- otherwise the detail states the power of the test to detect a drop of ``effect`` points
  (default max(1, 2 * floor)), from the measured spreads (noncentral t): pass ("no regression")
  when it is at least ``min_power`` (0.8), else inconclusive ("no regression detected", which
  is not evidence of none);
- inconclusive with fewer than 2 runs on a side, missing runs, records from several devices or
  stale references; not run when no reference exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..baselines import Baselines
from ..records.metrics import DEFAULT_METRIC
from ..records.record import lookup
from ..records.view import TierView
from . import stats
from .common import fmt_p, gather, hedge, verdict
from .params import DEFAULT_ALPHA, CheckParams
from .registry import RULES, register_check
from .types import Verdict


@register_check("regression")
def regression(check: dict[str, Any], view: TierView, baselines: Baselines) -> list[Verdict]:
    rule = Rule.parse(check, view, baselines)
    return [
        _judge_rerun(view, baselines, arm, label, rule.metric, rule)
        for arm in rule.arms
        for label in rule.labels
        if view.planned_count(arm, label) or view.arm_records(arm, label)  # not where the arm does not run
    ]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A regression check's table, read once; the field defaults are the check's defaults
    (``effect`` defaults to ``default_effect(floor)``)."""

    arms: tuple[str, ...] = ()  # default every arm of the tier
    labels: tuple[str, ...] = ()  # the data labels it judges (``fraction``, default every fraction)
    metric: str = DEFAULT_METRIC
    alpha: float = DEFAULT_ALPHA
    floor: float = 0.5
    collapse: float = 5.0
    effect: float
    min_power: float = 0.8
    alternative: str = "worse"
    higher: bool = True  # the table's ``higher_is_better``

    @staticmethod
    def default_effect(floor: float) -> float:
        return max(1.0, 2 * floor)

    @classmethod
    def parse(cls, check: dict[str, Any], view: TierView, baselines: Baselines | None = None) -> Rule:
        params = CheckParams(check, view)
        arms = params.arms("arms") if params.has("arms") else ([params.arm("arm")] if params.has("arm") else view.arms)
        metric = params.text("metric", cls.metric)
        alpha, floor = params.alpha(cls.alpha), params.num("floor", cls.floor, lo=0.0)
        alternative = params.choice("alternative", ("worse", "two-sided"), cls.alternative)
        higher = params.flag("higher_is_better", cls.higher)
        collapse = params.num("collapse", cls.collapse, lo=0.0, open_lo=True)
        effect = params.num("effect", cls.default_effect(floor), lo=0.0, open_lo=True)
        min_power = params.num("min_power", cls.min_power, lo=0.0, hi=1.0)
        if effect <= floor:
            raise params.error("effect", f"must exceed the floor ({floor:g}): a drop within the floor never fails")
        labels = params.fraction_labels()
        params.done()
        return cls(
            arms=tuple(arms),
            labels=tuple(labels),
            metric=metric,
            alpha=alpha,
            floor=floor,
            collapse=collapse,
            effect=effect,
            min_power=min_power,
            alternative=alternative,
            higher=higher,
        )

    def decide(self, rerun: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The rule on a batch: ``rerun`` (S, n), ``ref`` (S, m) -> (status, p, power, collapsed)."""
        sign = 1.0 if self.higher else -1.0
        x, r = sign * rerun, sign * ref  # in this space "worse" is "lower"
        shortfall = stats.olympic_means(r) - stats.olympic_means(x)
        worst_ref = r.min(-1, keepdims=True)
        collapsed = (x < worst_ref - self.collapse).any(-1)
        if self.alternative == "worse":
            p = stats.welch_p(x, r, "less")
            a = self.alpha
        else:
            p = stats.welch_p(x, r, "two-sided")
            shortfall = np.abs(shortfall)
            collapsed |= (x > r.max(-1, keepdims=True) + self.collapse).any(-1)
            a = self.alpha / 2
        power = stats.welch_power(self.effect, x.std(-1, ddof=1), x.shape[-1], r.std(-1, ddof=1), r.shape[-1], a)
        fail = collapsed | ((p < self.alpha) & (shortfall > self.floor))
        status = np.where(fail, "fail", np.where(power >= self.min_power, "pass", "inconclusive"))
        return status, p, power, collapsed


RULES.add("regression", Rule.parse)


def _judge_rerun(view: TierView, baselines: Baselines, arm: str, label: str, metric: str, rule: Rule) -> Verdict:
    alpha, floor, alternative, higher = rule.alpha, rule.floor, rule.alternative, rule.higher
    name = f"regression: {arm} @ {label}"
    g = gather(view, arm, label, metric)
    devices = view.devices([arm], label)
    if len(devices) > 1:
        return verdict(
            "regression", name, "inconclusive", view.device_problem([arm], [label]) or "", view, [arm], label
        )
    if not g.values:
        return verdict("regression", name, "not run", "; ".join(g.problems) or "no runs recorded", view, [arm], label)
    device = devices[0]
    ref = baselines.reference.load(view.suite.name, view.suite.version, view.tier, device)
    runs = ref.select(arm, label) if ref else []
    where = f"{view.suite.name} v{view.suite.version} {view.tier} on {device!r}"
    if not runs:
        return verdict(
            "regression",
            name,
            "not run",
            f"no reference runs of {arm} @ {label} for {where}; add some with `prs-bench baseline add RESULTS`",
            view,
            [arm],
            label,
        )
    now = view.planned_hash(arm, label)
    if runs[0]["config_hash"] != now:
        return verdict(
            "regression",
            name,
            "inconclusive",
            f"the reference runs for {where} were made with another "
            f"config (hash {runs[0]['config_hash'][:12]}, now {str(now)[:12]}); re-add reference runs",
            view,
            [arm],
            label,
        )
    ref_vals, bad = [], []
    for r in runs:
        v = lookup(r["metrics"], r.get("analysis"), metric)
        (ref_vals.append(float(v)) if isinstance(v, (int, float)) and v == v else bad.append(str(r["seed"])))
    m, r_ = stats.summarize(g.values), stats.summarize(ref_vals)
    diff = m.location - r_.location
    head = f"rerun {m.describe()} vs reference {r_.describe()} ({where}), diff {diff:+.2f}"
    nums: dict[str, Any] = {
        "measured": m.location,
        "std": m.std,
        "n": m.n,
        "reference": r_.location,
        "reference_label": f"{r_.location:.2f} (ref runs, n={r_.n})",
        "source": "baselines/reference",
        "band": f"Welch α={alpha:g}, floor {floor:g}, collapse {rule.collapse:g}",
    }
    if bad:
        g.problems.append(f"reference seeds without {metric}: {', '.join(bad)}")
    alt = "two-sided" if alternative == "two-sided" else "worse"
    if min(len(g.values), len(ref_vals)) < 2:
        sign = 1.0 if higher else -1.0
        worst = min(sign * v for v in ref_vals) if ref_vals else float("nan")
        if any(sign * v < worst - rule.collapse for v in g.values):
            status, detail = hedge(
                "fail",
                f"{head}; a rerun seed lies more than {rule.collapse:g} beyond the worst "
                f"reference run ({sign * worst:.2f})",
                g.problems,
            )
            return verdict("regression", name, status, detail, view, [arm], label, **nums)
        return verdict(
            "regression",
            name,
            "inconclusive",
            f"Welch test needs >= 2 runs per side; {head}",
            view,
            [arm],
            label,
            **nums,
        )
    st, p, power, collapsed = rule.decide(np.asarray([g.values]), np.asarray([ref_vals]))
    status = str(st[0])
    nums.update(p=float(p[0]), power=float(power[0]), effect=rule.effect)
    kind = "one-sided (worse)" if alt != "two-sided" else "two-sided"
    text = (
        f"{kind} Welch at α={alpha:g}, floor {floor:g}, collapse {rule.collapse:g}: {head}, "
        f"{fmt_p(float(p[0]))}; power {100 * float(power[0]):.0f}% to detect a {rule.effect:g}-point drop"
    )
    if collapsed[0]:
        worst = min(ref_vals) if higher else max(ref_vals)
        why = f"a rerun seed lies more than {rule.collapse:g} beyond the worst reference run ({worst:.2f})"
    elif status == "fail":
        why = (
            "significantly worse by more than the floor"
            if alt != "two-sided"
            else "significantly different by more than the floor"
        )
    elif status == "pass":
        why = (
            "significant but within the floor" if float(p[0]) < alpha else "not significantly worse"
        ) + "; no regression (the test had the power to see one)"
    else:
        why = (
            f"no regression detected, but the test is underpowered (< {100 * rule.min_power:g}%): not evidence of none"
        )
    detail = f"{text}; {why}"
    status, detail = hedge(status, detail, g.problems)
    return verdict("regression", name, status, detail, view, [arm], label, **nums)
