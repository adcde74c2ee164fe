"""`crossover`: single form (C1) and order form (C2)."""

from __future__ import annotations

import math

import pytest

from tests.fakes import check_toml as ck

FR = (0.1, 0.3, 1.0)
SINGLE = ck("crossover", a="vit", b="resnet", claim="C1")


def curve(arm: str, means: list[float], spread: float = 0.5) -> dict:
    return {(arm, f): [m - spread, m, m + spread] for f, m in zip(FR, means)}


def test_crossover_pass_and_position(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("vit", [40, 60 - 1, 80])
    [v] = judge(SINGLE, vals, fractions=FR)
    assert v.status == "pass"
    # d = -10, -1, +10: last upward crossing between 0.3 and 1.0 at t = 1/11 in log10
    want = 10 ** (math.log10(0.3) + (1 / 11) * (math.log10(1.0) - math.log10(0.3)))
    assert v.numbers["crossing"] == pytest.approx(want)
    assert "bootstrap 95% interval" in v.detail


def test_reverse_crossing_fails(judge) -> None:
    vals = curve("resnet", [40, 60, 80]) | curve("vit", [50, 60, 70])
    assert judge(SINGLE, vals, fractions=FR)[0].status == "fail"


def test_no_crossover_in_range_inconclusive(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("vit", [40, 50, 69.9])
    [v] = judge(SINGLE, vals, fractions=FR)
    assert v.status == "inconclusive" and "no crossover within [0.1, 1]" in v.detail


def test_single_seed_inconclusive(judge) -> None:
    vals = {(a, f): [m] for a, ms in (("resnet", [50, 60, 70]), ("vit", [40, 60, 80])) for f, m in zip(FR, ms)}
    [v] = judge(SINGLE, vals, fractions=FR, seeds=(0,))
    assert v.status == "inconclusive" and v.numbers["crossing"] < 1.0


def test_one_fraction_not_run(judge) -> None:
    [v] = judge(SINGLE, {("vit", 1.0): [1, 2, 3], ("resnet", 1.0): [1, 2, 3]})
    assert v.status == "not run"


ORDER = ck("crossover", arms=["convit", "vit"], reference_arm="resnet", claim="C2")
ARMS = ("resnet", "vit", "convit")


def test_order_pass(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("vit", [40, 55, 80]) | curve("convit", [45, 65, 82])
    [v] = judge(ORDER, vals, fractions=FR, arms=ARMS)
    assert v.status == "pass" and v.numbers["crossing_x"] < v.numbers["crossing_y"]


def test_order_fail(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("convit", [40, 55, 80]) | curve("vit", [45, 65, 82])
    assert judge(ORDER, vals, fractions=FR, arms=ARMS)[0].status == "fail"


def test_order_noisy_inconclusive(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("vit", [40, 60.1, 80], 8) | curve("convit", [40, 60.2, 80], 8)
    assert judge(ORDER, vals, fractions=FR, arms=ARMS)[0].status == "inconclusive"


def test_order_detail_names_crossings_and_intervals(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("vit", [40, 55, 80]) | curve("convit", [45, 65, 82])
    [v] = judge(ORDER, vals, fractions=FR, arms=ARMS)
    lo, hi = v.numbers["interval_y"]
    assert 0.3 < lo <= v.numbers["crossing_y"] <= hi < 1.0
    assert "97.5% interval [" in v.detail and "vit's crossing minus convit's" in v.detail
    assert v.numbers["p"] < 0.025


def test_order_equal_crossing_with_different_slopes_is_inconclusive(judge) -> None:
    """Both arms cross resnet at 0.3, one 4x steeper: C2's null, whichever arm is steeper."""
    steep, shallow = [30, 60, 90], [45, 60, 75]
    for x, y in ((steep, shallow), (shallow, steep)):
        vals = curve("resnet", [50, 60, 70]) | curve("convit", x) | curve("vit", y)
        [v] = judge(ORDER, vals, fractions=FR, arms=ARMS)
        assert v.status == "inconclusive", v.detail


def test_order_pass_when_only_x_crosses_within_the_range(judge) -> None:
    vals = curve("resnet", [50, 60, 70]) | curve("vit", [40, 50, 60]) | curve("convit", [45, 65, 80])
    [v] = judge(ORDER, vals, fractions=FR, arms=ARMS)
    assert v.status == "pass" and v.numbers["interval_y"][1] == math.inf
    assert "vit at > 1 (not within the range), 97.5% interval > 1" in v.detail
    assert "ahead of resnet at 1 for the part beyond the range" in v.detail


def test_order_needs_two_seeds_per_cell(judge) -> None:
    vals = {(a, f): [m] for a in ARMS for f, m in zip(FR, (50, 60, 70))}
    [v] = judge(ORDER, vals, fractions=FR, arms=ARMS, seeds=(0,))
    assert v.status == "inconclusive" and ">= 2 seeds in every" in v.detail
