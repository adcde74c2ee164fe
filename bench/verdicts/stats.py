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
OLYMPIC_MIN_N = 5   # MLPerf drops the best and the worst run; with fewer runs nothing is dropped


@dataclass(frozen=True)
class Summary:
    """Location and spread of one arm's seeds."""

    values: tuple[float, ...]
    n: int
    mean: float
    std: float          # sample std (ddof=1); NaN when n < 2
    olympic: float      # mean without the best and worst value when n >= 5, else the mean
    trimmed: bool       # whether ``olympic`` dropped two values

    @property
    def location(self) -> float:
        return self.olympic

    def describe(self, unit: str = "") -> str:
        if self.n == 0:
            return "no values"
        spread = f" ± {self.std:.2f}{unit}" if self.n > 1 else ""
        kind = f"olympic mean {self.olympic:.2f}{unit} (n={self.n}, best and worst dropped)" if self.trimmed \
            else f"mean {self.mean:.2f}{unit}{spread} (n={self.n})"
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
    note: str = ""       # e.g. "zero spread on both sides: exact comparison"


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
        return TestResult(math.copysign(math.inf, diff) if diff else 0.0, _exact_p(diff, alternative),
                          float(xa.size + xb.size - 2), alternative, "zero spread on both sides: exact comparison")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # scipy's precision warning for one constant side
        res = stats.ttest_ind(xa, xb, equal_var=False, alternative=alternative)
    return TestResult(float(res.statistic), float(res.pvalue), float(res.df), alternative)


def _exact_p(diff: float, alternative: str) -> float:
    if alternative == "two-sided":
        return 0.0 if diff != 0 else 1.0
    if alternative == "greater":
        return 0.0 if diff > 0 else 1.0
    return 0.0 if diff < 0 else 1.0


def welch_from_stats(mean1: float, std1: float, n1: int, mean2: float, std2: float, n2: int,
                     alternative: str = "two-sided") -> TestResult | None:
    """Welch test from summary numbers (a source that reports mean, std and number of runs)."""
    if n1 < 2 or n2 < 2 or not all(math.isfinite(x) for x in (mean1, std1, mean2, std2)):
        return None
    if std1 == 0 and std2 == 0:
        diff = mean1 - mean2
        return TestResult(math.copysign(math.inf, diff) if diff else 0.0, _exact_p(diff, alternative),
                          float(n1 + n2 - 2), alternative, "zero spread on both sides: exact comparison")
    res = stats.ttest_ind_from_stats(mean1, std1, n1, mean2, std2, n2, equal_var=False, alternative=alternative)
    se1, se2 = std1 ** 2 / n1, std2 ** 2 / n2
    df = (se1 + se2) ** 2 / (se1 ** 2 / (n1 - 1) + se2 ** 2 / (n2 - 1))
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
    df = (sa + sb) ** 2 / (sa ** 2 / (xa.size - 1) + sb ** 2 / (xb.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * math.sqrt(sa + sb))
    return diff - half, diff + half


def prediction_halfwidth(spread: float, n_measured: int, alpha: float) -> float:
    """Half-width of a (1 - alpha) interval for mean(n seeds) - one reported run, both with sd ``spread``.

    Used when a source gives a per-run spread but not its number of runs: the reported number is
    treated as a single run (the widest, most forgiving reading), so the difference has
    variance spread^2 * (1 + 1/n).
    """
    return float(stats.norm.ppf(1 - alpha / 2) * spread * math.sqrt(1 + 1 / n_measured))


def mlperf_min_acceptable_mean(ref_mean: float, ref_std: float, n_ref: int, n_sub: int,
                               alpha: float = 0.05) -> float:
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
    x = np.log10(np.asarray(xs, dtype=float)) if log else np.asarray(xs, dtype=float)
    d = np.asarray(diffs, dtype=float)
    if d.size == 0 or not np.isfinite(d).all():
        return None, 0
    ups = [i for i in range(d.size - 1) if d[i] <= 0 < d[i + 1]]
    if d[-1] <= 0:
        return math.inf, len(ups)
    if not ups:
        return -math.inf, 0          # d > 0 everywhere after the last non-positive value: A led throughout
    i = ups[-1]
    t = -d[i] / (d[i + 1] - d[i])
    xc = x[i] + t * (x[i + 1] - x[i])
    return float(10 ** xc if log else xc), len(ups)
