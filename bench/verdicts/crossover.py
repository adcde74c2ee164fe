"""`crossover`: along the data fraction, where a ViT-like arm overtakes the ResNet arm (C1), and
whether one arm overtakes at a smaller fraction than another (C2).

The curve is d(f) = mean(a) - mean(b) at each planned fraction f. The crossover is where d last
turns from <= 0 to > 0, by linear interpolation between the two adjacent fractions in log10(f)
(``scale = "log"``, the default: fractions are spaced geometrically) or in f (``"linear"``).

Single form (``a`` = ViT-like arm, ``b`` = ResNet arm): pass when b is significantly ahead at
the smallest fraction AND a significantly ahead at the largest (one-sided Welch at ``alpha``
each; both must hold, an intersection-union test, so no multiplicity correction is needed).
fail when both ends are significantly the other way round (the curves cross in the opposite
direction). inconclusive otherwise, e.g. no crossover within the range.

Order form (``arms = [X, Y]``, ``reference_arm = R``): X's crossover of R lies at a smaller
fraction than Y's. Seeds are resampled within each (arm, fraction) cell (``bootstrap``
resamples, fixed ``seed``); P = share of resamples with cross(X) < cross(Y) (ties count one
half; a curve that never overtakes within the range counts as crossing beyond it). pass when
P >= 1 - alpha, fail when P <= alpha, else inconclusive. Needs >= 2 seeds in every cell.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import stats
from .common import fmt_p, gather, hedge, verdict
from .context import CheckContext
from .params import CheckParams
from .registry import register_check
from .types import Verdict


@register_check("crossover")
def crossover(check: dict[str, Any], ctx: CheckContext) -> list[Verdict]:
    P = CheckParams(check, ctx)
    metric = P.text("metric", "test_acc")
    alpha = P.alpha()
    log = P.choice("scale", ("log", "linear"), "log") == "log"
    n_boot = P.int_("bootstrap", 2000, lo=100)
    seed = P.int_("seed", 0)
    if P.has("arms"):
        pair = P.arms("arms", min_len=2)
        if len(pair) != 2:
            raise P.error("arms", "the order form compares exactly two arms: arms = [X, Y] (X should cross first)")
        x, y = pair
        ref = P.arm("reference_arm")
        P.done()
        return [_order(ctx, x, y, ref, metric, alpha, log, n_boot, seed)]
    a, b = P.arm("a"), P.arm("b")
    P.done()
    return [_single(ctx, a, b, metric, alpha, log, n_boot, seed)]


def _curves(ctx: CheckContext, arms: list[str], metric: str) -> tuple[list[float], dict[str, list[list[float]]], list[str]]:
    """Fractions (ascending) and, per arm, the seed values at each fraction; plus problems."""
    fr = sorted(ctx.fractions().items(), key=lambda kv: kv[1])
    vals: dict[str, list[list[float]]] = {a: [] for a in arms}
    problems: list[str] = []
    for label, _ in fr:
        for a in arms:
            g = gather(ctx, a, label, metric)
            problems += g.problems
            vals[a].append(g.values)
    return [f for _, f in fr], vals, problems


def _fmt_x(x: float | None, xs: list[float]) -> str:
    if x is None:
        return "undefined"
    if x == math.inf:
        return f"> {xs[-1]:g} (not within the range)"
    if x == -math.inf:
        return f"< {xs[0]:g} (ahead at every fraction)"
    return f"{x:.3g}"


def _boot_cross(rng: np.random.Generator, a: list[list[float]], b: list[list[float]], xs: list[float],
                log: bool, n_boot: int) -> np.ndarray:
    def means(cells: list[list[float]]) -> np.ndarray:
        cols = []
        for v in cells:
            arr = np.asarray(v)
            cols.append(arr[rng.integers(0, arr.size, size=(n_boot, arr.size))].mean(axis=1))
        return np.stack(cols, axis=1)

    d = means(a) - means(b)
    return np.array([stats.crossing(xs, row, log)[0] for row in d], dtype=float)


def _single(ctx: CheckContext, a: str, b: str, metric: str, alpha: float, log: bool, n_boot: int,
            seed: int) -> Verdict:
    name = f"crossover: {a} overtakes {b}"
    xs, vals, problems = _curves(ctx, [a, b], metric)
    dev = ctx.device_problem([a, b])
    if dev:
        return verdict("crossover", name, "inconclusive", dev, ctx, [a, b])
    if len(xs) < 2:
        return verdict("crossover", name, "not run", f"the tier has {len(xs)} data fraction; a crossover needs >= 2",
                       ctx, [a, b])
    empty = [f"{arm} @ {x:g}" for arm in (a, b) for x, v in zip(xs, vals[arm]) if not v]
    if empty:
        return verdict("crossover", name, "not run", f"no values for {', '.join(empty)}; " + "; ".join(problems),
                       ctx, [a, b])
    diffs = [float(np.mean(va) - np.mean(vb)) for va, vb in zip(vals[a], vals[b])]
    xc, ups = stats.crossing(xs, diffs, log)
    curve = ", ".join(f"{x:g}: {d:+.2f}" for x, d in zip(xs, diffs))
    nums: dict[str, Any] = {"crossing": xc, "fractions": xs, "diffs": diffs}
    lo_b = stats.welch(vals[b][0], vals[a][0], "greater")     # ResNet ahead at the smallest fraction
    hi_a = stats.welch(vals[a][-1], vals[b][-1], "greater")   # ViT ahead at the largest
    lo_a = stats.welch(vals[a][0], vals[b][0], "greater")
    hi_b = stats.welch(vals[b][-1], vals[a][-1], "greater")
    head = (f"{a} − {b} by fraction [{curve}]; crossover ({'log' if log else 'linear'} interpolation) at "
            f"{_fmt_x(xc, xs)}" + (f" (last of {ups} upward crossings)" if ups > 1 else ""))
    if any(t is None for t in (lo_b, hi_a, lo_a, hi_b)):
        detail = f"{head}; end-point Welch tests need >= 2 seeds per arm at both ends"
        return verdict("crossover", name, "inconclusive", _with(detail, problems), ctx, [a, b], **nums)
    assert lo_b and hi_a and lo_a and hi_b
    if all(np.asarray(c).size >= 2 for arm in (a, b) for c in vals[arm]):
        boots = _boot_cross(np.random.default_rng(seed), vals[a], vals[b], xs, log, n_boot)
        lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
        head += f", bootstrap {100 * (1 - alpha):g}% interval [{_fmt_x(float(lo), xs)}, {_fmt_x(float(hi), xs)}]"
    ends = (f"{b} ahead at {xs[0]:g}: {fmt_p(lo_b.pvalue)}; {a} ahead at {xs[-1]:g}: {fmt_p(hi_a.pvalue)} "
            f"(one-sided Welch, α={alpha:g})")
    nums.update(p_small=lo_b.pvalue, p_large=hi_a.pvalue)
    if lo_b.pvalue < alpha and hi_a.pvalue < alpha:
        status, why = "pass", f"{b} wins at small data and {a} at large"
    elif lo_a.pvalue < alpha and hi_b.pvalue < alpha:
        status, why = "fail", f"the other way round: {a} significantly ahead at {xs[0]:g}, {b} at {xs[-1]:g}"
    elif xc is None or math.isinf(xc):
        status, why = "inconclusive", f"no crossover within [{xs[0]:g}, {xs[-1]:g}]"
    else:
        status, why = "inconclusive", "the ends are not both significant"
    detail = f"{head}; {ends}; {why}"
    status, detail = hedge(status, detail, problems)
    return verdict("crossover", name, status, detail, ctx, [a, b], **nums)


def _with(detail: str, problems: list[str]) -> str:
    return f"{detail}; {'; '.join(problems)}" if problems else detail


def _order(ctx: CheckContext, x: str, y: str, ref: str, metric: str, alpha: float, log: bool, n_boot: int,
           seed: int) -> Verdict:
    name = f"crossover order: {x} overtakes {ref} before {y}"
    arms = [x, y, ref]
    xs, vals, problems = _curves(ctx, arms, metric)
    dev = ctx.device_problem(arms)
    if dev:
        return verdict("crossover", name, "inconclusive", dev, ctx, arms)
    if len(xs) < 2:
        return verdict("crossover", name, "not run", f"the tier has {len(xs)} data fraction; a crossover needs >= 2",
                       ctx, arms)
    empty = [f"{arm} @ {f:g}" for arm in arms for f, v in zip(xs, vals[arm]) if not v]
    if empty:
        return verdict("crossover", name, "not run", f"no values for {', '.join(empty)}; " + "; ".join(problems), ctx, arms)
    cx = stats.crossing(xs, [float(np.mean(p) - np.mean(q)) for p, q in zip(vals[x], vals[ref])], log)[0]
    cy = stats.crossing(xs, [float(np.mean(p) - np.mean(q)) for p, q in zip(vals[y], vals[ref])], log)[0]
    head = f"{x} crosses {ref} at {_fmt_x(cx, xs)}, {y} at {_fmt_x(cy, xs)}"
    nums: dict[str, Any] = {"crossing_x": cx, "crossing_y": cy}
    if any(len(c) < 2 for arm in arms for c in vals[arm]):
        return verdict("crossover", name, "inconclusive", _with(f"{head}; the bootstrap needs >= 2 seeds in every "
                       "(arm, fraction) cell", problems), ctx, arms, **nums)
    rng = np.random.default_rng(seed)
    bx = _boot_cross(rng, vals[x], vals[ref], xs, log, n_boot)
    by = _boot_cross(rng, vals[y], vals[ref], xs, log, n_boot)
    share = float(np.mean(np.where(bx == by, 0.5, (bx < by).astype(float))))
    nums["p_order"] = share
    rule = f"share of {n_boot} seed resamples with {x} crossing first: {share:.3f} (pass >= {1 - alpha:g}, fail <= {alpha:g})"
    status = "pass" if share >= 1 - alpha else "fail" if share <= alpha else "inconclusive"
    detail = f"{head}; {rule}"
    status, detail = hedge(status, detail, problems)
    return verdict("crossover", name, status, detail, ctx, arms, **nums)
