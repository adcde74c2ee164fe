"""`order`: one-sided Welch against scipy; pass, fail, inconclusive."""

from __future__ import annotations

import pytest
from scipy import stats as ss

from tests.fakes import check_toml as ck

ORDER = ck("order", a="vit", b="resnet", claim="C6")


def test_pass_is_scipy_one_sided(judge) -> None:
    a, b = [72.0, 72.6, 71.8], [70.0, 70.5, 71.0]
    [v] = judge(ORDER, {("vit", 1.0): a, ("resnet", 1.0): b})
    assert v.status == "pass" and v.claim == "C6"
    assert v.numbers["p"] == pytest.approx(ss.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue)


def test_fail_when_reverse_significant(judge) -> None:
    [v] = judge(ORDER, {("vit", 1.0): [60.0, 60.5, 60.2], ("resnet", 1.0): [70.0, 70.5, 71.0]})
    assert v.status == "fail" and "resnet significantly beats vit" in v.detail


def test_equal_means_inconclusive(judge) -> None:
    [v] = judge(ORDER, {("vit", 1.0): [70.0, 70.5, 71.0], ("resnet", 1.0): [71.0, 70.5, 70.0]})
    assert v.status == "inconclusive" and v.numbers["p"] == pytest.approx(0.5)


def test_lower_but_not_significant_is_inconclusive(judge) -> None:
    [v] = judge(ORDER, {("vit", 1.0): [69.0, 71.5, 70.0], ("resnet", 1.0): [70.0, 70.5, 71.0]})
    assert v.status == "inconclusive"


def test_margin(judge) -> None:
    vals = {("vit", 1.0): [71.0, 71.1, 71.2], ("resnet", 1.0): [70.0, 70.1, 70.2]}
    assert judge(ORDER, vals)[0].status == "pass"
    assert judge(ck("order", a="vit", b="resnet", margin=2.0), vals)[0].status == "inconclusive"


def test_one_seed_inconclusive_and_missing_not_run(judge) -> None:
    [v] = judge(ORDER, {("vit", 1.0): [90.0], ("resnet", 1.0): [10.0]}, seeds=(0,))
    assert v.status == "inconclusive" and ">= 2 seeds" in v.detail
    [v] = judge(ORDER, {("resnet", 1.0): [10.0, 11.0, 12.0]})
    assert v.status == "not run" and "vit @ synthetic-f1: 0/3 runs recorded" in v.detail


def test_zero_spread(judge) -> None:
    [v] = judge(ORDER, {("vit", 1.0): [71.0] * 3, ("resnet", 1.0): [70.0] * 3})
    assert v.status == "pass" and v.numbers["p"] == 0.0
