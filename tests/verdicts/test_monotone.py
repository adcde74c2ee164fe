"""`monotone`: a metric along a sweep, read from records' metrics or analysis."""

from __future__ import annotations

import pytest
from scipy import stats as ss

from tests.fakes import check_toml as ck

ARMS = ("e0", "e2", "e4", "never")
MONO = ck("monotone", arms=list(ARMS), direction="increasing", claim="C4")


def sweep(means: list[float], spread: float = 0.1) -> dict:
    return {(a, 1.0): [m - spread, m, m + spread] for a, m in zip(ARMS, means)}


def test_increasing_pass_p_is_scipy(judge) -> None:
    vals = sweep([1.0, 2.0, 3.0, 4.0])
    [v] = judge(MONO, vals, arms=ARMS)
    assert v.status == "pass" and v.claim == "C4"
    want = ss.ttest_ind(vals[("never", 1.0)], vals[("e0", 1.0)], equal_var=False, alternative="greater").pvalue
    assert v.numbers["p"] == pytest.approx(want)


def test_significant_violation_fails(judge) -> None:
    [v] = judge(MONO, sweep([1.0, 3.0, 2.0, 4.0]), arms=ARMS)
    assert v.status == "fail" and "e2 → e4 goes the wrong way" in v.detail


def test_violation_within_tolerance_passes(judge) -> None:
    vals = sweep([1.0, 3.0, 2.8, 4.0])
    [v] = judge(MONO, vals, arms=ARMS)  # p = 0.04 alone, but not after Holm over 4 reversal tests
    assert v.status == "inconclusive" and "within noise after Holm" in v.detail
    assert (
        judge(ck("monotone", arms=list(ARMS), direction="increasing", tolerance=0.5), vals, arms=ARMS)[0].status
        == "pass"
    )


def test_flat_is_inconclusive(judge) -> None:
    [v] = judge(MONO, sweep([1.0, 1.0, 1.0, 1.0]), arms=ARMS)
    assert v.status == "inconclusive" and "not significant" in v.detail


def test_decreasing_and_between(judge) -> None:
    c = ck("monotone", arms=list(ARMS), direction="decreasing", between=True, tolerance=0.5)
    assert judge(c, sweep([4.0, 3.0, 2.0, 1.0]), arms=ARMS)[0].status == "pass"
    [v] = judge(c, sweep([4.0, 5.0, 4.9, 1.0]), arms=ARMS)
    assert v.status == "fail" and "outside the ends" in v.detail


def test_metric_from_analysis_path(judge) -> None:
    hf = {"e0": -3.0, "e2": -2.0, "e4": -1.0, "never": 0.0}
    analysis = {(a, 1.0): [{"fourier": {"hf_delta": [m - 1, m + 0.01 * s]}} for s in range(3)] for a, m in hf.items()}
    c = ck("monotone", arms=list(ARMS), direction="increasing", metric="fourier.hf_delta.1")
    [v] = judge(c, {(a, 1.0): [50.0] * 3 for a in ARMS}, arms=ARMS, analysis=analysis)
    assert v.status == "pass" and v.numbers["means"]["never"] == pytest.approx(0.01)


def test_single_seed_descriptive(judge) -> None:
    vals = {(a, 1.0): [m] for a, m in zip(ARMS, [1.0, 2.0, 3.0, 4.0])}
    [v] = judge(MONO, vals, arms=ARMS, seeds=(0,))
    assert v.status == "inconclusive" and "min_seeds = 1" in v.detail
    [v] = judge(ck("monotone", arms=list(ARMS), direction="increasing", min_seeds=1), vals, arms=ARMS, seeds=(0,))
    assert v.status == "inconclusive" and "descriptive only" in v.detail  # no test, never a pass


def test_holm_keeps_the_family_error(judge) -> None:
    # one reversal at raw p = 0.013: significant alone, not after Holm over the 4 tests of 4 arms
    vals = sweep([1.0, 3.0, 2.6, 4.0])
    p_raw = ss.ttest_ind(vals[("e4", 1.0)], vals[("e2", 1.0)], equal_var=False, alternative="less").pvalue
    [v] = judge(MONO, vals, arms=ARMS)
    assert v.numbers["p_holm_min"] == pytest.approx(min(1.0, 4 * p_raw))  # the other 3 tests have p near 1
    assert (v.status == "fail") == (4 * p_raw < 0.05)


def test_missing_metric_not_run(judge) -> None:
    [v] = judge(
        ck("monotone", arms=list(ARMS), direction="increasing", metric="fourier.hf_delta_mean"),
        sweep([1.0, 2.0, 3.0, 4.0]),
        arms=ARMS,
    )
    assert v.status == "not run" and "no metric 'fourier.hf_delta_mean'" in v.detail
