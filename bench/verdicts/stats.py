"""The statistics every rule uses, in one place so docs/STATISTICS.md can point at each function.

All tests are Welch's unequal-variance t-test from scipy (``ttest_ind(equal_var=False)``): seeds of
two arms need not share a variance (a ViT's seeds scatter more than a ResNet's). Degenerate
inputs are decided here, once, instead of letting NaN leak into verdicts:

- fewer than 2 finite values on a side: no test (``None``); the caller says "inconclusive";
- zero spread on both sides: the difference is exact, so p = 0 when the means differ in the
  tested direction and p = 1 otherwise (scipy would return NaN with a precision warning);
- NaN or inf values: never tested; callers name the offending seeds (see ``finite``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALTERNATIVES = ("two-sided", "greater", "less")
OLYMPIC_MIN_N = 5  # MLPerf drops the best and the worst run; with fewer runs nothing is dropped


@dataclass(frozen=True)
class Summary:
    """Location and spread of one arm's seeds."""

    values: tuple[float, ...]
    n: int
    mean: float
    std: float  # sample std (ddof=1); NaN when n < 2
    olympic: float  # mean without the best and worst value when n >= 5, else the mean
    trimmed: bool  # whether ``olympic`` dropped two values

    @property
    def location(self) -> float:
        return self.olympic

    def describe(self, unit: str = "") -> str:
        if self.n == 0:
            return "no values"
        spread = f" ± {self.std:.2f}{unit}" if self.n > 1 else ""
        kind = (
            f"olympic mean {self.olympic:.2f}{unit} (n={self.n}, best and worst dropped)"
            if self.trimmed
            else f"mean {self.mean:.2f}{unit}{spread} (n={self.n})"
        )
        return kind


def summarize(values: Iterable[float]) -> Summary:
    vals = tuple(float(v) for v in values)
    n = len(vals)
    if n == 0:
        return Summary((), 0, math.nan, math.nan, math.nan, False)
    arr = np.asarray(vals)
    mean = float(arr.mean())
    std = float(arr.std(ddof=1)) if n > 1 else math.nan
    return Summary(vals, n, mean, std, olympic_mean(vals), n >= OLYMPIC_MIN_N)


def olympic_mean(values: Sequence[float]) -> float:
    """MLPerf's 'olympic' mean: drop one best and one worst run, average the rest (n >= 5 only)."""
    arr = np.sort(np.asarray(values, dtype=float))
    if arr.size == 0:
        return math.nan
    if arr.size >= OLYMPIC_MIN_N:
        arr = arr[1:-1]
    return float(arr.mean())


def finite(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """(finite values, indices of NaN/inf values)."""
    good, bad = [], []
    for i, v in enumerate(values):
        (good.append(float(v)) if v is not None and math.isfinite(v) else bad.append(i))
    return good, bad


@dataclass(frozen=True)
class TestResult:
    statistic: float
    pvalue: float
    df: float
    alternative: str
    note: str = ""  # e.g. "zero spread on both sides: exact comparison"


def welch(a: Sequence[float], b: Sequence[float], alternative: str = "two-sided") -> TestResult | None:
    """Welch t-test of mean(a) - mean(b) against 0; ``None`` when a side has fewer than 2 values.

    Non-degenerate inputs give exactly scipy's ``ttest_ind(a, b, equal_var=False, alternative=...)``.
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative {alternative!r} not in {ALTERNATIVES}")
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if xa.size < 2 or xb.size < 2:
        return None
    if not (np.isfinite(xa).all() and np.isfinite(xb).all()):
        return TestResult(math.nan, math.nan, math.nan, alternative, "NaN or inf among the values")
    va, vb = xa.var(ddof=1), xb.var(ddof=1)
    if va == 0 and vb == 0:
        diff = float(xa.mean() - xb.mean())
        return TestResult(
            math.copysign(math.inf, diff) if diff else 0.0,
            _exact_p(diff, alternative),
            float(xa.size + xb.size - 2),
            alternative,
            "zero spread on both sides: exact comparison",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's precision warning for one constant side
        res = stats.ttest_ind(xa, xb, equal_var=False, alternative=alternative)
    return TestResult(float(res.statistic), float(res.pvalue), float(res.df), alternative)


def _exact_p(diff: float, alternative: str) -> float:
    if alternative == "two-sided":
        return 0.0 if diff != 0 else 1.0
    if alternative == "greater":
        return 0.0 if diff > 0 else 1.0
    return 0.0 if diff < 0 else 1.0


def welch_from_stats(
    mean1: float, std1: float, n1: int, mean2: float, std2: float, n2: int, alternative: str = "two-sided"
) -> TestResult | None:
    """Welch test from summary numbers (a source that reports mean, std and number of runs)."""
    if n1 < 2 or n2 < 2 or not all(math.isfinite(x) for x in (mean1, std1, mean2, std2)):
        return None
    if std1 == 0 and std2 == 0:
        diff = mean1 - mean2
        return TestResult(
            math.copysign(math.inf, diff) if diff else 0.0,
            _exact_p(diff, alternative),
            float(n1 + n2 - 2),
            alternative,
            "zero spread on both sides: exact comparison",
        )
    res = stats.ttest_ind_from_stats(mean1, std1, n1, mean2, std2, n2, equal_var=False, alternative=alternative)
    se1, se2 = std1**2 / n1, std2**2 / n2
    df = (se1 + se2) ** 2 / (se1**2 / (n1 - 1) + se2**2 / (n2 - 1))
    return TestResult(float(res.statistic), float(res.pvalue), float(df), alternative)


def welch_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> tuple[float, float] | None:
    """Two-sided Welch confidence interval of mean(a) - mean(b): how large a difference the data allow."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if xa.size < 2 or xb.size < 2 or not (np.isfinite(xa).all() and np.isfinite(xb).all()):
        return None
    diff = float(xa.mean() - xb.mean())
    sa, sb = xa.var(ddof=1) / xa.size, xb.var(ddof=1) / xb.size
    if sa + sb == 0:
        return diff, diff
    df = (sa + sb) ** 2 / (sa**2 / (xa.size - 1) + sb**2 / (xb.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * math.sqrt(sa + sb))
    return diff - half, diff + half


def prediction_halfwidth(spread: float, n_measured: int, alpha: float) -> float:
    """Half-width of a (1 - alpha) interval for mean(n seeds) - one reported run, both with sd ``spread``.

    Used when a source gives a per-run spread but not its number of runs: the reported number is
    treated as a single run (the widest, most forgiving reading), so the difference has
    variance spread^2 * (1 + 1/n).
    """
    return float(stats.norm.ppf(1 - alpha / 2) * spread * math.sqrt(1 + 1 / n_measured))


def mlperf_min_acceptable_mean(ref_mean: float, ref_std: float, n_ref: int, n_sub: int, alpha: float = 0.05) -> float:
    """MLPerf RCP bound (mlcommons/logging rcp_checker): the lowest submission mean a one-sided
    pooled t-test at ``alpha`` accepts, assuming the submission has the reference's std.

    ``n_ref`` and ``n_sub`` count runs after olympic trimming. Kept for comparison in docs and tests;
    this benchmark's rules use Welch on the measured spread instead of assuming it.
    """
    if ref_std == 0:
        return ref_mean
    t = stats.t.ppf(1 - alpha, n_ref + n_sub - 2)
    return float(ref_mean - t * ref_std * math.sqrt(1 / n_ref + 1 / n_sub))


def crossing(xs: Sequence[float], diffs: Sequence[float], log: bool = True) -> tuple[float | None, int]:
    """Where ``diffs`` (curve A minus curve B at increasing ``xs``) last turns from <= 0 to > 0.

    Returns (x of the crossing or None, number of upward crossings). The crossing is linear
    interpolation of the two adjacent differences, in log10(x) when ``log`` (data fractions are
    spaced geometrically) else in x. ``-inf`` when A leads at every x (it overtook before the range),
    ``+inf`` when A never leads at the last x (it has not overtaken within the range).
    """
    d = np.asarray(diffs, dtype=float)
    if d.size == 0 or not np.isfinite(d).all():
        return None, 0
    ups = int(np.sum((d[:-1] <= 0) & (d[1:] > 0)))
    return float(crossings(xs, d[None, :], log)[0]), ups


def crossings(xs: Sequence[float], diffs: np.ndarray, log: bool = True) -> np.ndarray:
    """``crossing`` for every row of ``diffs`` (rows: resamples or permutations; columns: ``xs``),
    vectorized so a bootstrap or permutation test costs one array pass. NaN for non-finite rows."""
    x = np.log10(np.asarray(xs, dtype=float)) if log else np.asarray(xs, dtype=float)
    d = np.atleast_2d(np.asarray(diffs, dtype=float))
    out = np.full(d.shape[0], np.nan)
    ok = np.isfinite(d).all(axis=1)
    if d.shape[1] == 0:
        return out
    last_pos = d[:, -1] > 0
    ups = (d[:, :-1] <= 0) & (d[:, 1:] > 0)
    has_up = ups.any(axis=1)
    out[ok & ~last_pos] = math.inf
    out[ok & last_pos & ~has_up] = -math.inf
    rows = np.flatnonzero(ok & last_pos & has_up)
    if rows.size:
        i = ups.shape[1] - 1 - np.argmax(ups[rows, ::-1], axis=1)
        d0, d1 = d[rows, i], d[rows, i + 1]
        xc = x[i] + (-d0 / (d1 - d0)) * (x[i + 1] - x[i])
        out[rows] = 10**xc if log else xc
    return out


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values over the last axis (a family of m tests; family-wise
    error <= alpha under any dependence): reject test i when its adjusted p-value is < alpha.
    NaN p-values (tests not run) count as 1."""
    p = np.nan_to_num(np.asarray(pvalues, dtype=float), nan=1.0)
    m = p.shape[-1]
    if m == 0:
        return p
    order = np.argsort(p, axis=-1, kind="stable")
    ps = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    adj = np.minimum(1.0, np.maximum.accumulate(ps, axis=-1))
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=-1)
    return out


def welch_power(
    effect: float, sd_a: np.ndarray | float, n_a: int, sd_b: np.ndarray | float, n_b: int, alpha: float
) -> np.ndarray:
    """Power of the one-sided Welch test at ``alpha`` to detect a true difference ``effect`` (> 0)
    when the sides have sds ``sd_a``, ``sd_b`` and sizes ``n_a``, ``n_b`` (noncentral t with the
    Welch-Satterthwaite degrees of freedom). NaN when a side has < 2 runs."""
    sa, sb = np.asarray(sd_a, dtype=float), np.asarray(sd_b, dtype=float)
    if n_a < 2 or n_b < 2:
        return np.full(np.broadcast_shapes(sa.shape, sb.shape), np.nan)
    va, vb = sa**2 / n_a, sb**2 / n_b
    se2 = va + vb
    with np.errstate(divide="ignore", invalid="ignore"):
        df = se2**2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
        crit = stats.t.ppf(1 - alpha, df)
        power = stats.nct.sf(crit, df, effect / np.sqrt(se2))
    return np.where(se2 == 0, 1.0 if effect > 0 else 0.0, power)


# ---- batched forms: the decision rules run on arrays (..., n) so one call judges a batch of
# ---- simulated evaluations (bench/verdicts/calibrate.py) exactly as it judges one real one.


def welch_p(a: np.ndarray, b: np.ndarray, alternative: str) -> np.ndarray:
    """p-values of Welch's test over the last axis, broadcasting the leading axes.

    Equals scipy's ``ttest_ind(equal_var=False)`` where both sides vary; zero spread on both sides
    is the exact comparison of ``welch``; NaN where a side has < 2 values or a NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    na, nb = a.shape[-1], b.shape[-1]
    if na < 2 or nb < 2:
        return np.full(np.broadcast_shapes(a.shape[:-1], b.shape[:-1]), np.nan)
    diff = a.mean(-1) - b.mean(-1)
    va, vb = a.var(-1, ddof=1) / na, b.var(-1, ddof=1) / nb
    se2 = va + vb
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / np.sqrt(se2)
        df = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        if alternative == "greater":
            p = stats.t.sf(t, df)
            exact = np.where(diff > 0, 0.0, 1.0)
        elif alternative == "less":
            p = stats.t.cdf(t, df)
            exact = np.where(diff < 0, 0.0, 1.0)
        else:
            p = 2 * stats.t.sf(np.abs(t), df)
            exact = np.where(diff != 0, 0.0, 1.0)
    p = np.where(se2 == 0, exact, p)
    return np.where(np.isfinite(diff), p, np.nan)


def olympic_means(x: np.ndarray) -> np.ndarray:
    """``olympic_mean`` over the last axis."""
    x = np.sort(np.asarray(x, dtype=float), axis=-1)
    return (x[..., 1:-1] if x.shape[-1] >= OLYMPIC_MIN_N else x).mean(-1)


def tost_p(a: np.ndarray, b: np.ndarray | float, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Batched TOST of |mean(a) - mean(b)| < margin over the last axis: (p_equivalent, p_beyond).

    ``b`` an array of runs (Welch standard error) or a constant (a reported number: one-sample t).
    p_equivalent < alpha shows equivalence; p_beyond < alpha shows a difference beyond the margin."""
    a = np.asarray(a, dtype=float)
    na = a.shape[-1]
    diff_a, va = a.mean(-1), a.var(-1, ddof=1) / na
    if np.ndim(b) == 0:
        diff, se2, df = diff_a - float(b), va, np.full_like(va, na - 1.0)
    else:
        b = np.asarray(b, dtype=float)
        nb = b.shape[-1]
        vb = b.var(-1, ddof=1) / nb
        diff, se2 = diff_a - b.mean(-1), va + vb
        with np.errstate(divide="ignore", invalid="ignore"):
            df = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(se2)
        p_lo = stats.t.sf((diff + margin) / se, df)
        p_hi = stats.t.cdf((diff - margin) / se, df)
        p_beyond = stats.t.sf((np.abs(diff) - margin) / se, df)
    p_eq = np.maximum(p_lo, p_hi)
    p_eq = np.where(se2 == 0, np.where(np.abs(diff) < margin, 0.0, 1.0), p_eq)
    p_beyond = np.where(se2 == 0, np.where(np.abs(diff) > margin, 0.0, 1.0), p_beyond)
    return p_eq, p_beyond
