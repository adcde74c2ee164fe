"""Every statistic against scipy on hand-made inputs, including the degenerate ones."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as ss

from bench.verdicts import stats

A = [71.2, 70.4, 71.9, 70.8]
B = [69.9, 70.1, 70.6, 69.5, 70.0]


@pytest.mark.parametrize("alt", ["two-sided", "greater", "less"])
def test_welch_is_scipy(alt: str) -> None:
    ours = stats.welch(A, B, alt)
    ref = ss.ttest_ind(A, B, equal_var=False, alternative=alt)
    assert ours is not None
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.df == pytest.approx(ref.df, rel=1e-12)


def test_equal_means_give_p_one() -> None:
    t = stats.welch([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert t.pvalue == pytest.approx(ss.ttest_ind([1, 2, 3], [3, 2, 1], equal_var=False).pvalue) == pytest.approx(1.0)
    assert stats.welch([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], "greater").pvalue == pytest.approx(0.5)


def test_tiny_n_is_not_tested() -> None:
    assert stats.welch([70.0], [70.0, 71.0]) is None
    assert math.isnan(ss.ttest_ind([70.0], [70.0, 71.0], equal_var=False).pvalue)  # what we avoid
    assert stats.welch([], [1.0, 2.0]) is None


def test_zero_spread_both_sides_is_exact() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(ss.ttest_ind([70.0, 70.0], [70.0, 70.0], equal_var=False).pvalue)  # scipy: undefined
    assert stats.welch([70.0, 70.0], [70.0, 70.0]).pvalue == 1.0
    assert stats.welch([70.0, 70.0], [71.0, 71.0]).pvalue == 0.0
    assert stats.welch([70.0, 70.0], [71.0, 71.0], "greater").pvalue == 1.0
    assert stats.welch([70.0, 70.0], [71.0, 71.0], "less").pvalue == 0.0
    assert "zero spread" in stats.welch([1.0, 1.0], [1.0, 1.0]).note


def test_zero_spread_one_side_is_scipy() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ss.ttest_ind([70.0, 70.0, 70.0], [69.0, 70.5, 71.0], equal_var=False)
    assert stats.welch([70.0, 70.0, 70.0], [69.0, 70.5, 71.0]).pvalue == pytest.approx(ref.pvalue)


def test_nan_is_never_tested() -> None:
    t = stats.welch([70.0, float("nan")], [70.0, 71.0])
    assert math.isnan(t.pvalue) and "NaN" in t.note
    assert stats.finite([1.0, float("nan"), float("inf"), 2.0]) == ([1.0, 2.0], [1, 2])


def test_welch_from_stats_is_scipy() -> None:
    ours = stats.welch_from_stats(70.3, 0.6, 5, 70.0, 0.5, 4, "two-sided")
    ref = ss.ttest_ind_from_stats(70.3, 0.6, 5, 70.0, 0.5, 4, equal_var=False)
    assert ours.pvalue == pytest.approx(ref.pvalue)
    assert stats.welch_from_stats(70.0, 0.5, 1, 70.0, 0.5, 4) is None


def test_welch_ci_agrees_with_the_test() -> None:
    for a, b in ((A, B), (B, A), ([1.0, 1.1, 0.9], [1.0, 1.05, 0.98])):
        lo, hi = stats.welch_ci(a, b, 0.95)
        p = ss.ttest_ind(a, b, equal_var=False).pvalue
        assert (lo > 0 or hi < 0) == (p < 0.05)
        assert (lo + hi) / 2 == pytest.approx(np.mean(a) - np.mean(b))


def test_olympic_mean() -> None:
    assert stats.olympic_mean([1.0, 2.0, 3.0, 100.0]) == pytest.approx(26.5)  # n < 5: plain mean
    assert stats.olympic_mean([1.0, 2.0, 3.0, 4.0, 100.0]) == pytest.approx(3.0)  # best and worst dropped
    s = stats.summarize([70.0, 71.0, 72.0, 73.0, 10.0])
    assert s.trimmed and s.location == pytest.approx(71.0) and "olympic" in s.describe()
    assert math.isnan(stats.summarize([70.0]).std)


def test_mlperf_worked_example() -> None:
    """training_rules.adoc, 'RCP examples': 10 reference runs (8 after olympic trimming), mean 15.75,
    std 0.43, 5 submission runs (3 after trimming): the mean may be no lower than 15.21 (3.53% faster)."""
    bound = stats.mlperf_min_acceptable_mean(15.75, 0.43, n_ref=8, n_sub=3, alpha=0.05)
    assert bound == pytest.approx(15.21, abs=0.01)
    assert 15.75 / bound - 1 == pytest.approx(0.0353, abs=0.001)
    # the bound is where MLPerf's one-sided pooled test sits exactly at alpha
    t, p = ss.ttest_ind_from_stats(bound, 0.43, 3, 15.75, 0.43, 8, equal_var=True)
    assert p / 2 == pytest.approx(0.05, rel=1e-6)


def test_crossing_interpolates_in_log_fraction() -> None:
    x, ups = stats.crossing([0.1, 1.0], [-1.0, 1.0], log=True)
    assert x == pytest.approx(10**-0.5) and ups == 1
    assert stats.crossing([0.1, 1.0], [-1.0, 3.0], log=False)[0] == pytest.approx(0.1 + 0.25 * 0.9)
    assert stats.crossing([0.1, 0.5, 1.0], [-1.0, -0.5, -0.1])[0] == math.inf
    assert stats.crossing([0.1, 0.5, 1.0], [1.0, 0.5, 0.1])[0] == -math.inf
    x, ups = stats.crossing([0.1, 0.2, 0.4, 0.8], [-1.0, 1.0, -1.0, 1.0], log=False)
    assert ups == 2 and x == pytest.approx(0.6)  # the last upward crossing
    assert stats.crossing([0.1, 1.0], [float("nan"), 1.0]) == (None, 0)
