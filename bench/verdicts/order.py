"""`order`: arm ``a`` beats arm ``b`` (the form of claim C6: PRS beats ConViT and ResNet).

One-sided Welch t-tests at ``alpha`` on the seeds of each data fraction:
pass when mean(a) - mean(b) > ``margin`` is significant (H1: a - margin > b);
fail when mean(a) < mean(b) and the reverse one-sided test (H1: a < b) is significant;
inconclusive otherwise (no significant difference either way, fewer than 2 seeds on a side,
missing runs, or records from several devices), with the numbers in the detail.
"""

from __future__ import annotations

from typing import Any

from . import stats
from .common import fmt_p, gather, hedge, verdict
from .context import CheckContext
from .params import CheckParams
from .registry import register_check
from .types import Verdict


@register_check("order")
def order(check: dict[str, Any], ctx: CheckContext) -> list[Verdict]:
    P = CheckParams(check, ctx)
    a, b = P.arm("a"), P.arm("b")
    if a == b:
        raise P.error("b", f"must differ from 'a' ({a!r})")
    metric = P.text("metric", "test_acc")
    alpha, margin = P.alpha(), P.num("margin", 0.0, lo=0.0)
    labels = P.fraction_labels()
    P.done()
    return [_one(ctx, a, b, label, metric, alpha, margin) for label in labels]


def _one(ctx: CheckContext, a: str, b: str, label: str, metric: str, alpha: float, margin: float) -> Verdict:
    name = f"order: {a} > {b} @ {label}"
    ga, gb = gather(ctx, a, label, metric), gather(ctx, b, label, metric)
    problems = ga.problems + gb.problems
    dev = ctx.device_problem([a, b], [label])
    if dev:
        return verdict("order", name, "inconclusive", dev, ctx, [a, b], label)
    if not ga.values or not gb.values:
        return verdict("order", name, "not run", "; ".join(problems) or "no runs recorded", ctx, [a, b], label)
    sa, sb = stats.summarize(ga.values), stats.summarize(gb.values)
    diff = sa.mean - sb.mean
    head = f"{a} {sa.describe()} vs {b} {sb.describe()}, diff {diff:+.2f}"
    nums: dict[str, Any] = {"diff": diff}
    greater = stats.welch([v - margin for v in ga.values], gb.values, "greater")
    less = stats.welch(ga.values, gb.values, "less")
    if greater is None or less is None:
        return verdict("order", name, "inconclusive",
                       f"one-sided Welch needs >= 2 seeds per arm; {head}" + (f"; {'; '.join(problems)}" if problems else ""),
                       ctx, [a, b], label, **nums)
    nums.update(p=greater.pvalue, p_reverse=less.pvalue)
    rule = (f"one-sided Welch at α={alpha:g}{f', margin {margin:g}' if margin else ''}: {head}, "
            f"{fmt_p(greater.pvalue)} for {a} > {b}, {fmt_p(less.pvalue)} for {a} < {b}")
    if greater.pvalue < alpha:
        status, why = "pass", f"{a} significantly beats {b}"
    elif diff < 0 and less.pvalue < alpha:
        status, why = "fail", f"{b} significantly beats {a}"
    else:
        status, why = "inconclusive", "no significant difference either way"
    detail = f"{rule}; {why}"
    status, detail = hedge(status, detail, problems)
    return verdict("order", name, status, detail, ctx, [a, b], label, **nums)
