"""`regression`: a rerun against this project's stored reference runs (the CI use; MLPerf RCP-like).

Reference runs come from baselines/reference for the same suite, version, tier and device, and
must carry today's config hash for that arm and data (otherwise inconclusive: re-add them).
Per arm and data fraction: location = olympic mean (best and worst dropped) with >= 5 runs,
else the mean, on each side. Test: Welch t-test on all runs, one-sided by default
(``alternative = "worse"``: H1 the rerun is worse; ``higher_is_better`` says which way is worse)
or ``"two-sided"``. fail when p < ``alpha`` AND the location difference in the tested direction
exceeds ``floor`` points; pass otherwise; inconclusive with fewer than 2 runs on a side, missing
runs, records from several devices or stale references; not run when no reference exists.
"""

from __future__ import annotations

from typing import Any

from ..baselines import Baselines
from . import stats
from .common import fmt_p, gather, hedge, verdict
from .context import CheckContext, metric_value
from .params import CheckParams
from .registry import register_check
from .types import Verdict


@register_check("regression")
def regression(check: dict[str, Any], ctx: CheckContext) -> list[Verdict]:
    P = CheckParams(check, ctx)
    arms = P.arms("arms") if P.has("arms") else ([P.arm("arm")] if P.has("arm") else ctx.suite.tier_arms(ctx.tier))
    metric = P.text("metric", "test_acc")
    alpha, floor = P.alpha(), P.num("floor", 0.5, lo=0.0)
    alternative = P.choice("alternative", ("worse", "two-sided"), "worse")
    higher = P.flag("higher_is_better", True)
    labels = P.fraction_labels()
    P.done()
    baselines = ctx.baselines if ctx.baselines is not None else Baselines()
    return [_one(ctx, baselines, arm, label, metric, alpha, floor, alternative, higher)
            for arm in arms for label in labels]


def _one(ctx: CheckContext, baselines: Baselines, arm: str, label: str, metric: str, alpha: float, floor: float,
         alternative: str, higher: bool) -> Verdict:
    name = f"regression: {arm} @ {label}"
    g = gather(ctx, arm, label, metric)
    devices = ctx.devices([arm], label)
    if len(devices) > 1:
        return verdict("regression", name, "inconclusive", ctx.device_problem([arm], [label]) or "", ctx, [arm], label)
    if not g.values:
        return verdict("regression", name, "not run", "; ".join(g.problems) or "no runs recorded", ctx, [arm], label)
    device = devices[0]
    ref = baselines.reference.load(ctx.suite.name, ctx.suite.version, ctx.tier, device)
    runs = ref.select(arm, label) if ref else []
    where = f"{ctx.suite.name} v{ctx.suite.version} {ctx.tier} on {device!r}"
    if not runs:
        return verdict("regression", name, "not run", f"no reference runs of {arm} @ {label} for {where}; add some "
                       "with `prs-bench baseline add RESULTS`", ctx, [arm], label)
    now = ctx.planned_hash(arm, label)
    if runs[0]["config_hash"] != now:
        return verdict("regression", name, "inconclusive", f"the reference runs for {where} were made with another "
                       f"config (hash {runs[0]['config_hash'][:12]}, now {str(now)[:12]}); re-add reference runs",
                       ctx, [arm], label)
    ref_vals, bad = [], []
    for r in runs:
        v = metric_value({"metrics": r["metrics"], "analysis": r.get("analysis", {})}, metric)
        (ref_vals.append(float(v)) if isinstance(v, (int, float)) and v == v else bad.append(str(r["seed"])))
    m, r_ = stats.summarize(g.values), stats.summarize(ref_vals)
    diff = m.location - r_.location
    head = f"rerun {m.describe()} vs reference {r_.describe()} ({where}), diff {diff:+.2f}"
    nums: dict[str, Any] = {"measured": m.location, "std": m.std, "n": m.n, "reference": r_.location,
                            "reference_label": f"{r_.location:.2f} (ref runs, n={r_.n})", "source": "baselines/reference",
                            "band": f"Welch α={alpha:g}, floor {floor:g}"}
    if bad:
        g.problems.append(f"reference seeds without {metric}: {', '.join(bad)}")
    if alternative == "worse":
        alt = "less" if higher else "greater"
        shortfall = -diff if higher else diff
    else:
        alt, shortfall = "two-sided", abs(diff)
    test = stats.welch(g.values, ref_vals, alt)
    if test is None:
        return verdict("regression", name, "inconclusive", f"Welch test needs >= 2 runs per side; {head}",
                       ctx, [arm], label, **nums)
    nums["p"] = test.pvalue
    rule = f"{'one-sided (worse)' if alt != 'two-sided' else 'two-sided'} Welch at α={alpha:g}, floor {floor:g}: {head}, {fmt_p(test.pvalue)}"
    if test.pvalue < alpha and shortfall > floor:
        status, why = "fail", "significantly worse by more than the floor" if alt != "two-sided" else "significantly different by more than the floor"
    else:
        status, why = "pass", "not significantly worse" if test.pvalue >= alpha else "significant but within the floor"
    detail = f"{rule}; {why}"
    status, detail = hedge(status, detail, g.problems)
    return verdict("regression", name, status, detail, ctx, [arm], label, **nums)
