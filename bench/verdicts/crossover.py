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
fraction than Y's. C2 is about where each arm crosses, so the rule locates the crossings:
each arm's crossing gets a (1 - alpha/2) confidence set (the positions where its interpolated gap
to R is not significantly different from 0: Welch tests inverted, Fieller's quadratic per
segment), and X crosses first exactly when X is ahead of Y where Y crosses. pass when X is
significantly ahead of Y (one-sided Welch at alpha/2) at every position of Y's set; fail is the
mirror. A false verdict needs one of two level-alpha/2 errors, so it stays <= alpha at any
slopes, including the least-favourable nulls: both arms crossing at the same fraction with
different slopes, and no crossover at all (docs/STATISTICS.md measures both). Needs >= 2 seeds
in every cell. (Suite v3-v4 ran a permutation test of exchangeable X and Y seeds: calibrated
when the arms are identical, but with equal crossings and 4x different slopes it erred up to
27.2% at 3 seeds, docs/STATISTICS.md.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

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
    """A crossover check's table, read once; the field defaults are the check's defaults.

    The single form sets ``a``, ``b`` (and reads ``bootstrap`` and ``seed``); the order form sets
    ``arms`` = (X, Y) and ``reference_arm``. ``done()`` refuses the other form's keys, so a field
    of the other form always holds its default.
    """

    a: str = ""
    b: str = ""
    arms: tuple[str, ...] = ()
    reference_arm: str = ""
    metric: str = DEFAULT_METRIC
    alpha: float = DEFAULT_ALPHA
    scale: str = "log"
    seed: int = 0
    bootstrap: int = 2000  # resamples for the single form's interval of the crossing (shown, not tested)

    @property
    def is_order(self) -> bool:
        return bool(self.arms)

    @property
    def log(self) -> bool:
        return self.scale == "log"

    @classmethod
    def parse(cls, check: dict[str, Any], view: TierView, baselines: Baselines | None = None) -> Rule:
        params = CheckParams(check, view)
        metric = params.text("metric", cls.metric)
        alpha = params.alpha(cls.alpha)
        scale = params.choice("scale", ("log", "linear"), cls.scale)
        if params.has("arms"):
            pair = params.arms("arms", min_len=2)
            if len(pair) != 2:
                raise params.error(
                    "arms", "the order form compares exactly two arms: arms = [X, Y] (X should cross first)"
                )
            ref = params.arm("reference_arm")
            params.done()
            return cls(
                arms=tuple(pair),
                reference_arm=ref,
                metric=metric,
                alpha=alpha,
                scale=scale,
            )
        seed = params.int_("seed", cls.seed)
        n_boot = params.int_("bootstrap", cls.bootstrap, lo=100)
        a, b = params.arm("a"), params.arm("b")
        params.done()
        return cls(a=a, b=b, metric=metric, alpha=alpha, scale=scale, seed=seed, bootstrap=n_boot)


RULES.add("crossover", Rule.parse)


@register_check("crossover")
def crossover(check: dict[str, Any], view: TierView, baselines: Baselines) -> list[Verdict]:
    r = Rule.parse(check, view, baselines)
    if r.is_order:
        x, y = r.arms
        return [_order(view, x, y, r.reference_arm, r.metric, r.alpha, r.log)]
    return [_single(view, r.a, r.b, r.metric, r.alpha, r.log, r.bootstrap, r.seed)]


def _curves(
    view: TierView, arms: list[str], metric: str
) -> tuple[list[float], dict[str, list[list[float]]], list[str]]:
    """Fractions (ascending) and, per arm, the seed values at each fraction; plus problems."""
    fr = sorted(view.fractions().items(), key=lambda kv: kv[1])
    vals: dict[str, list[list[float]]] = {a: [] for a in arms}
    problems: list[str] = []
    for label, _ in fr:
        for a in arms:
            g = gather(view, a, label, metric)
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


def _boot_cross(
    rng: np.random.Generator, a: list[list[float]], b: list[list[float]], xs: list[float], log: bool, n_boot: int
) -> np.ndarray:
    def means(cells: list[list[float]]) -> np.ndarray:
        cols = []
        for v in cells:
            arr = np.asarray(v)
            cols.append(arr[rng.integers(0, arr.size, size=(n_boot, arr.size))].mean(axis=1))
        return np.stack(cols, axis=1)

    return stats.crossings(xs, means(a) - means(b), log)


def decide_single(
    b_small: np.ndarray, a_small: np.ndarray, a_large: np.ndarray, b_large: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The single-form rule on a batch of end-point seed values (..., n): (status, p(b ahead at the
    smallest fraction), p(a ahead at the largest)). An intersection-union test: both one-sided
    Welch tests at ``alpha`` must reject, so a false pass (or fail) has probability <= alpha."""
    p_b0 = stats.welch_p(b_small, a_small, "greater")
    p_a1 = stats.welch_p(a_large, b_large, "greater")
    p_a0 = stats.welch_p(a_small, b_small, "greater")
    p_b1 = stats.welch_p(b_large, a_large, "greater")
    status = np.where(
        (p_b0 < alpha) & (p_a1 < alpha), "pass", np.where((p_a0 < alpha) & (p_b1 < alpha), "fail", "inconclusive")
    )
    return status, p_b0, p_a1


POINTS = 9  # points sampled inside each piece of a crossing's confidence set (plus its ends)


@dataclass(frozen=True)
class CrossingSet:
    """A batch of confidence sets for where one arm's gap to the reference crosses zero.

    ``pieces``: for segment s (between fractions s and s+1), (S, 2, 2) [lo, hi] weights in [0, 1]
    along the segment (NaN: no piece); ``before``/``beyond``: the set also holds "before the
    first fraction" / "beyond the last" (the arm not significantly behind at the first / ahead
    at the last). ``hull`` gives the smallest and largest position the set holds."""

    x: np.ndarray  # positions of the fractions (log10 f or f)
    pieces: list[np.ndarray]
    before: np.ndarray
    beyond: np.ndarray

    def hull(self, row: int = 0) -> tuple[float, float]:
        pos = [
            self.x[s] + w * (self.x[s + 1] - self.x[s])
            for s, p in enumerate(self.pieces)
            for w in p[row].ravel()
            if np.isfinite(w)
        ]
        lo = -math.inf if self.before[row] else min(pos, default=math.nan)
        hi = math.inf if self.beyond[row] else max(pos, default=math.nan)
        return lo, hi


@dataclass(frozen=True)
class OrderTest:
    """The order form's rule on a batch (S evaluations): status, p-values, confidence sets."""

    status: np.ndarray
    p_x: np.ndarray  # p for "X crosses first" (pass when < alpha / 2)
    p_y: np.ndarray  # p for "Y crosses first" (fail when < alpha / 2)
    set_x: CrossingSet
    set_y: CrossingSet


def _cells(vs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per fraction: mean, variance of the mean and that variance's Satterthwaite term var^2 / (n - 1)."""
    m = np.stack([v.mean(-1) for v in vs], axis=-1)
    var = np.stack([v.var(-1, ddof=1) / v.shape[-1] for v in vs], axis=-1)
    nu = np.array([v.shape[-1] - 1 for v in vs], dtype=float)
    return m, var, var**2 / nu


def _t_sf(mean: np.ndarray, var: np.ndarray, den: np.ndarray) -> np.ndarray:
    """One-sided p of mean > 0 for a Welch-type linear combination (Satterthwaite df); exact when var = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = special.stdtr(var**2 / den, -mean / np.sqrt(var))  # Student t sf, without scipy.stats' overhead
    return np.where(var > 0, p, np.where(mean > 0, 0.0, 1.0))


def crossing_sets(gap: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray, a: float) -> CrossingSet:
    """The (1 - a) confidence set of where a gap curve crosses 0, by inverting Welch tests.

    ``gap``: (mean, variance, Satterthwaite term) of arm - reference at each fraction, (S, k).
    Along segment s at weight w the gap is g(w) = (1 - w) d_s + w d_s+1 with variance
    v(w) = (1 - w)^2 V_s + w^2 V_s+1; w is in the set when |g(w)| <= c sqrt(v(w)), a quadratic
    inequality (Fieller), with c the two-sided t quantile at the segment's smaller end df (the
    df of v(w) is never below it, so the set only widens). A crossing the set misses has
    probability <= a: at the true crossing g's test is a level-a test."""
    d, v, den = gap
    pieces = []
    for s in range(d.shape[-1] - 1):
        d0, d1, v0, v1 = d[:, s], d[:, s + 1], v[:, s], v[:, s + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.fmin(v0**2 / den[:, s], v1**2 / den[:, s + 1])
        c2 = np.nan_to_num(special.stdtrit(df, 1 - a / 2), nan=0.0) ** 2
        delta = d1 - d0
        qa = delta**2 - c2 * (v0 + v1)
        qb = 2 * d0 * delta + 2 * c2 * v0
        qc = d0**2 - c2 * v0
        qa = np.where(qa == 0, 1e-300, qa)
        disc = qb**2 - 4 * qa * qc
        root = np.sqrt(np.maximum(disc, 0.0))
        r1, r2 = np.sort(np.stack([(-qb - root) / (2 * qa), (-qb + root) / (2 * qa)]), axis=0)
        nan = np.full_like(d0, np.nan)
        # qa > 0: [r1, r2] (empty when disc < 0); qa < 0: (-inf, r1] and [r2, inf) (everything when disc < 0)
        bounded = qa > 0
        lo1 = np.where(bounded, np.where(disc >= 0, np.maximum(r1, 0.0), nan), 0.0)
        hi1 = np.where(
            bounded, np.where(disc >= 0, np.minimum(r2, 1.0), nan), np.where(disc >= 0, np.minimum(r1, 1.0), 1.0)
        )
        lo2 = np.where(bounded | (disc < 0), nan, np.maximum(r2, 0.0))
        hi2 = np.where(bounded | (disc < 0), nan, 1.0)
        # the point estimate always belongs to the set (rounding can lose a zero-width piece)
        with np.errstate(divide="ignore", invalid="ignore"):
            w0 = -d0 / delta
        has0 = (d0 <= 0) & (d1 > 0) | (d0 > 0) & (d1 <= 0)
        empty1 = ~(lo1 <= hi1)
        lo1 = np.where(empty1 & has0, w0, np.where(empty1, nan, lo1))
        hi1 = np.where(empty1 & has0, w0, np.where(empty1, nan, hi1))
        empty2 = ~(lo2 <= hi2)
        lo2, hi2 = np.where(empty2, nan, lo2), np.where(empty2, nan, hi2)
        pieces.append(np.stack([np.stack([lo1, hi1], -1), np.stack([lo2, hi2], -1)], axis=1))
    d0, v0, den0 = d[:, 0], v[:, 0], den[:, 0]
    dk, vk, denk = d[:, -1], v[:, -1], den[:, -1]
    before = _t_sf(-d0, v0, den0) >= a  # not significantly behind at the first fraction
    beyond = _t_sf(dk, vk, denk) >= a  # not significantly ahead at the last
    return CrossingSet(x, pieces, before, beyond)


def _ahead_across(
    first: tuple[np.ndarray, np.ndarray, np.ndarray],
    second: tuple[np.ndarray, np.ndarray, np.ndarray],
    last_gap: tuple[np.ndarray, np.ndarray, np.ndarray],
    where: CrossingSet,
) -> np.ndarray:
    """Largest one-sided Welch p of "first ahead of second" over the positions of ``where`` (the
    other arm's crossing set); "beyond the range" needs ``first`` ahead of the reference at the
    last fraction (``last_gap``); "before the range" cannot be shown (p = 1)."""
    (m1, v1, e1), (m2, v2, e2) = first, second
    dm, dv, de = m1 - m2, v1 + v2, e1 + e2
    worst = np.full(dm.shape[0], -np.inf)
    t = np.linspace(0.0, 1.0, POINTS)
    for s, piece in enumerate(where.pieces):
        lo, hi = piece[..., 0], piece[..., 1]  # (S, 2)
        w = lo[..., None] + (hi - lo)[..., None] * t  # (S, 2, POINTS)
        ok = np.isfinite(w)
        w = np.nan_to_num(w)
        col = lambda a, j: a[:, j][:, None, None]  # noqa: E731
        mean = (1 - w) * col(dm, s) + w * col(dm, s + 1)
        var = (1 - w) ** 2 * col(dv, s) + w**2 * col(dv, s + 1)
        den = (1 - w) ** 4 * col(de, s) + w**4 * col(de, s + 1)
        p = np.where(ok, _t_sf(mean, var, den), -np.inf)
        worst = np.maximum(worst, p.reshape(p.shape[0], -1).max(axis=1))
    gm, gv, ge = last_gap
    worst = np.where(where.beyond, np.maximum(worst, _t_sf(gm[:, -1], gv[:, -1], ge[:, -1])), worst)
    worst = np.where(where.before | ~np.isfinite(worst), 1.0, worst)  # an empty set: nothing shown
    return worst


def decide_order(
    xv: list[np.ndarray], yv: list[np.ndarray], rv: list[np.ndarray], xs: list[float], alpha: float, log: bool
) -> OrderTest:
    """The order form's rule on a batch. ``xv[j]``, ``yv[j]``, ``rv[j]``: seed values at fraction j,
    shape (S, n_j), n_j >= 2.

    "X crosses R first" holds exactly when X is ahead of Y where Y crosses R (a single crossing
    each). So: Y's crossing gets a (1 - alpha/2) confidence set (``crossing_sets``), and the rule
    passes when X is significantly ahead of Y (one-sided Welch at alpha/2) at every position of
    that set; "beyond the range" in the set needs X significantly ahead of R at the last
    fraction, "before the range" cannot pass. Each step errs with probability <= alpha/2, so a
    false pass is <= alpha whatever the slopes (Bonferroni). fail is the mirror (Y ahead of X
    across X's set)."""
    a = alpha / 2
    x = np.log10(np.asarray(xs, dtype=float)) if log else np.asarray(xs, dtype=float)
    cx, cy, cr = _cells(xv), _cells(yv), _cells(rv)
    gap_x = (cx[0] - cr[0], cx[1] + cr[1], cx[2] + cr[2])
    gap_y = (cy[0] - cr[0], cy[1] + cr[1], cy[2] + cr[2])
    set_x, set_y = crossing_sets(gap_x, x, a), crossing_sets(gap_y, x, a)
    p_x = _ahead_across(cx, cy, gap_x, set_y)
    p_y = _ahead_across(cy, cx, gap_y, set_x)
    status = np.where(p_x < a, "pass", np.where(p_y < a, "fail", "inconclusive"))
    return OrderTest(status, p_x, p_y, set_x, set_y)


def _single(view: TierView, a: str, b: str, metric: str, alpha: float, log: bool, n_boot: int, seed: int) -> Verdict:
    name = f"crossover: {a} overtakes {b}"
    xs, vals, problems = _curves(view, [a, b], metric)
    dev = view.device_problem([a, b])
    if dev:
        return verdict("crossover", name, "inconclusive", dev, view, [a, b])
    if len(xs) < 2:
        return verdict(
            "crossover", name, "not run", f"the tier has {len(xs)} data fraction; a crossover needs >= 2", view, [a, b]
        )
    empty = [f"{arm} @ {x:g}" for arm in (a, b) for x, v in zip(xs, vals[arm]) if not v]
    if empty:
        return verdict(
            "crossover", name, "not run", f"no values for {', '.join(empty)}; " + "; ".join(problems), view, [a, b]
        )
    diffs = [float(np.mean(va) - np.mean(vb)) for va, vb in zip(vals[a], vals[b])]
    xc, ups = stats.crossing(xs, diffs, log)
    curve = ", ".join(f"{x:g}: {d:+.2f}" for x, d in zip(xs, diffs))
    nums: dict[str, Any] = {"crossing": xc, "fractions": xs, "diffs": diffs}
    head = (
        f"{a} − {b} by fraction [{curve}]; crossover ({'log' if log else 'linear'} interpolation) at "
        f"{_fmt_x(xc, xs)}" + (f" (last of {ups} upward crossings)" if ups > 1 else "")
    )
    if min(len(vals[arm][i]) for arm in (a, b) for i in (0, -1)) < 2:
        detail = f"{head}; end-point Welch tests need >= 2 seeds per arm at both ends"
        return verdict("crossover", name, "inconclusive", _with(detail, problems), view, [a, b], **nums)
    if all(np.asarray(c).size >= 2 for arm in (a, b) for c in vals[arm]):
        boots = _boot_cross(np.random.default_rng(seed), vals[a], vals[b], xs, log, n_boot)
        lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
        head += f", bootstrap {100 * (1 - alpha):g}% interval [{_fmt_x(float(lo), xs)}, {_fmt_x(float(hi), xs)}]"
    b_small, a_small, a_large, b_large = (np.asarray([v]) for v in (vals[b][0], vals[a][0], vals[a][-1], vals[b][-1]))
    st, p_b0, p_a1 = decide_single(b_small, a_small, a_large, b_large, alpha)
    ends = (
        f"{b} ahead at {xs[0]:g}: {fmt_p(float(p_b0[0]))}; {a} ahead at {xs[-1]:g}: {fmt_p(float(p_a1[0]))} "
        f"(one-sided Welch, α={alpha:g})"
    )
    nums.update(p_small=float(p_b0[0]), p_large=float(p_a1[0]))
    if st[0] == "pass":
        status, why = "pass", f"{b} wins at small data and {a} at large"
    elif st[0] == "fail":
        status, why = "fail", f"the other way round: {a} significantly ahead at {xs[0]:g}, {b} at {xs[-1]:g}"
    elif xc is None or math.isinf(xc):
        status, why = "inconclusive", f"no crossover within [{xs[0]:g}, {xs[-1]:g}]"
    else:
        status, why = "inconclusive", "the ends are not both significant"
    detail = f"{head}; {ends}; {why}"
    status, detail = hedge(status, detail, problems)
    return verdict("crossover", name, status, detail, view, [a, b], **nums)


def _with(detail: str, problems: list[str]) -> str:
    return f"{detail}; {'; '.join(problems)}" if problems else detail


def _fmt_set(lo: float, hi: float, xs: list[float], log: bool) -> str:
    """A crossing set's hull in fractions: [lo, hi], "< first" / "> last" for the open ends."""
    at = {-math.inf: f"< {xs[0]:g}", math.inf: f"> {xs[-1]:g}"}
    if math.isnan(lo) and math.isnan(hi):
        return "empty"
    if math.isnan(lo) or math.isnan(hi) or lo == hi:  # only one open end, or a point
        p = hi if math.isnan(lo) else lo
        return at.get(p, f"{10**p if log else p:.3g}")
    return "[" + ", ".join(at.get(p, f"{10**p if log else p:.3g}") for p in (lo, hi)) + "]"


def _order(view: TierView, x: str, y: str, ref: str, metric: str, alpha: float, log: bool) -> Verdict:
    name = f"crossover order: {x} overtakes {ref} before {y}"
    arms = [x, y, ref]
    xs, vals, problems = _curves(view, arms, metric)
    dev = view.device_problem(arms)
    if dev:
        return verdict("crossover", name, "inconclusive", dev, view, arms)
    if len(xs) < 2:
        return verdict(
            "crossover", name, "not run", f"the tier has {len(xs)} data fraction; a crossover needs >= 2", view, arms
        )
    empty = [f"{arm} @ {f:g}" for arm in arms for f, v in zip(xs, vals[arm]) if not v]
    if empty:
        return verdict(
            "crossover", name, "not run", f"no values for {', '.join(empty)}; " + "; ".join(problems), view, arms
        )
    cx = stats.crossing(xs, [float(np.mean(p) - np.mean(q)) for p, q in zip(vals[x], vals[ref])], log)[0]
    cy = stats.crossing(xs, [float(np.mean(p) - np.mean(q)) for p, q in zip(vals[y], vals[ref])], log)[0]
    head = f"{x} crosses {ref} at {_fmt_x(cx, xs)}, {y} at {_fmt_x(cy, xs)}"
    nums: dict[str, Any] = {"crossing_x": cx, "crossing_y": cy}
    if any(len(c) < 2 for arm in arms for c in vals[arm]):
        return verdict(
            "crossover",
            name,
            "inconclusive",
            _with(f"{head}; the crossing intervals need >= 2 seeds in every (arm, fraction) cell", problems),
            view,
            arms,
            **nums,
        )
    res = decide_order(
        [np.asarray([v]) for v in vals[x]],
        [np.asarray([v]) for v in vals[y]],
        [np.asarray([v]) for v in vals[ref]],
        xs,
        alpha,
        log,
    )
    status = str(res.status[0])
    level = f"{100 * (1 - alpha / 2):g}%"
    set_x, set_y = res.set_x.hull(), res.set_y.hull()
    head = (
        f"{x} crosses {ref} at {_fmt_x(cx, xs)}, {level} interval {_fmt_set(*set_x, xs, log)}; "
        f"{y} at {_fmt_x(cy, xs)}, {level} interval {_fmt_set(*set_y, xs, log)}"
    )
    if cx is not None and cy is not None and all(math.isfinite(c) and c > 0 for c in (cx, cy)):
        shift = math.log10(cy / cx) if log else cy - cx
        head += f"; {y}'s crossing minus {x}'s: {shift:+.3g}{' decades' if log else ''}"
    nums.update(
        p=float(res.p_x[0]),
        p_reverse=float(res.p_y[0]),
        interval_x=[_unpos(v, log) for v in set_x],
        interval_y=[_unpos(v, log) for v in set_y],
    )

    def side(first: str, second: str, beyond: bool) -> str:
        extra = f", and ahead of {ref} at {xs[-1]:g} for the part beyond the range" if beyond else ""
        return f"{first} ahead of {second} across {second}'s interval{extra}"

    rule = (
        f"{x} first: {fmt_p(float(res.p_x[0]))} ({side(x, y, bool(res.set_y.beyond[0]))}); "
        f"{y} first: {fmt_p(float(res.p_y[0]))} ({side(y, x, bool(res.set_x.beyond[0]))}); "
        f"largest one-sided Welch p over the interval, decided at α/2={alpha / 2:g}"
    )
    detail = f"{head}; {rule}"
    status, detail = hedge(status, detail, problems)
    return verdict("crossover", name, status, detail, view, arms, **nums)


def _unpos(p: float, log: bool) -> float:
    """A position on the fraction axis back to a fraction (±inf kept: before / beyond the range)."""
    return p if math.isinf(p) or math.isnan(p) or not log else 10**p
