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
fraction than Y's. A permutation test: the statistic is T = pos(Y) - pos(X), the positions of
the two crossings (log10 f; "ahead throughout" and "never within the range" placed one range
width beyond each end). Under H0 (X and Y are exchangeable: no difference between them at any
fraction) the X and Y seeds of each fraction are pooled and relabelled at random
(``permutations`` relabellings from a fixed ``seed``; R stays as measured). pass when
p = (1 + #{T* >= T}) / (1 + permutations) < alpha, fail when the mirror p for "Y first" is
< alpha, inconclusive otherwise; each error is <= alpha exactly (docs/STATISTICS.md measures
it). Needs >= 2 seeds in every cell. (Until suite v3 this form used a percentile bootstrap of
the share of resamples with X first, which falsely passed 10.7% at 2 seeds.)
"""

from __future__ import annotations

import math
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
    """A crossover check's table, read once; the field defaults are the check's defaults.

    The single form sets ``a``, ``b`` (and reads ``bootstrap``); the order form sets ``arms`` =
    (X, Y) and ``reference_arm`` (and reads ``permutations``). ``done()`` refuses the other
    form's keys, so a field of the other form always holds its default.
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
    permutations: int = 1000  # relabellings of the order form's permutation test

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
        seed = params.int_("seed", cls.seed)
        if params.has("arms"):
            n_perm = params.int_("permutations", cls.permutations, lo=100)
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
                seed=seed,
                permutations=n_perm,
            )
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
        return [_order(view, x, y, r.reference_arm, r.metric, r.alpha, r.log, r.permutations, r.seed)]
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


def _positions(cross: np.ndarray, xs: list[float], log: bool) -> np.ndarray:
    """Crossings as positions on the fraction axis; ±inf one range width beyond the ends."""
    x = np.log10(np.asarray(xs, dtype=float)) if log else np.asarray(xs, dtype=float)
    span = float(x[-1] - x[0]) or 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.log10(cross) if log else np.array(cross, dtype=float)
    pos = np.where(cross == np.inf, x[-1] + span, pos)
    return np.where(cross == -np.inf, x[0] - span, pos)


def decide_order(
    xv: list[np.ndarray],
    yv: list[np.ndarray],
    rv: list[np.ndarray],
    xs: list[float],
    alpha: float,
    log: bool,
    n_perm: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The order-form permutation test on a batch. ``xv[j]``, ``yv[j]``, ``rv[j]``: seed values at
    fraction j, shape (S, n_j). Returns (status, T, p for X first, p for Y first), each (S,)."""
    rng = np.random.default_rng(seed)
    S = xv[0].shape[0]
    mx, my, mr = (np.stack([v.mean(-1) for v in vs], axis=-1) for vs in (xv, yv, rv))  # (S, k)
    t_obs = _positions(stats.crossings(xs, my - mr, log), xs, log) - _positions(
        stats.crossings(xs, mx - mr, log), xs, log
    )
    perm_x = np.empty((S, n_perm, len(xs)))
    perm_y = np.empty((S, n_perm, len(xs)))
    for j, (x, y) in enumerate(zip(xv, yv)):
        pooled = np.concatenate([x, y], axis=-1)  # (S, nx+ny)
        idx = np.argsort(rng.random((n_perm, pooled.shape[-1])), axis=-1)  # (P, nx+ny)
        shuffled = pooled[:, idx]  # (S, P, nx+ny)
        perm_x[:, :, j] = shuffled[..., : x.shape[-1]].mean(-1)
        perm_y[:, :, j] = shuffled[..., x.shape[-1] :].mean(-1)
    ref = mr[:, None, :]
    cx = stats.crossings(xs, (perm_x - ref).reshape(-1, len(xs)), log).reshape(S, n_perm)
    cy = stats.crossings(xs, (perm_y - ref).reshape(-1, len(xs)), log).reshape(S, n_perm)
    t_perm = _positions(cy, xs, log) - _positions(cx, xs, log)
    eps = 1e-12
    p_x = (1 + np.sum(t_perm >= t_obs[:, None] - eps, axis=1)) / (1 + n_perm)
    p_y = (1 + np.sum(t_perm <= t_obs[:, None] + eps, axis=1)) / (1 + n_perm)
    status = np.where(p_x < alpha, "pass", np.where(p_y < alpha, "fail", "inconclusive"))
    return status, t_obs, p_x, p_y


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


def _order(
    view: TierView, x: str, y: str, ref: str, metric: str, alpha: float, log: bool, n_perm: int, seed: int
) -> Verdict:
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
            _with(f"{head}; the permutation test needs >= 2 seeds in every (arm, fraction) cell", problems),
            view,
            arms,
            **nums,
        )
    st, t_obs, p_x, p_y = decide_order(
        [np.asarray([v]) for v in vals[x]],
        [np.asarray([v]) for v in vals[y]],
        [np.asarray([v]) for v in vals[ref]],
        xs,
        alpha,
        log,
        n_perm,
        seed,
    )
    status = str(st[0])
    nums.update(p=float(p_x[0]), p_reverse=float(p_y[0]), t=float(t_obs[0]))
    rule = (
        f"permutation test ({n_perm} relabellings of {x}/{y} seeds within each fraction): "
        f"{fmt_p(float(p_x[0]))} for {x} first, {fmt_p(float(p_y[0]))} for {y} first (α={alpha:g})"
    )
    detail = f"{head}; {rule}"
    status, detail = hedge(status, detail, problems)
    return verdict("crossover", name, status, detail, view, arms, **nums)
