"""A verdict never mixes suite versions, tiers or devices."""

from __future__ import annotations

import pytest

from bench.errors import BenchError
from bench.records import TierView, build_tier_view
from bench.suite import plan_runs
from bench.verdicts import evaluate
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

ORDER = ck("order", a="vit", b="resnet")
VALS = {("vit", 1.0): [75.0, 75.5, 76.0], ("resnet", 1.0): [70.0, 70.5, 71.0]}


def test_view_refuses_other_versions_and_tiers(tmp_path) -> None:
    v1 = toy_suite(tmp_path / "a", ORDER, version=1)
    v2 = toy_suite(tmp_path / "b", ORDER, version=2)
    other_tier = toy_suite(tmp_path / "c", ORDER, tier="full")
    for bad in (fake_records(v2, "quick", VALS), fake_records(other_tier, "full", VALS)):
        with pytest.raises(BenchError, match="never mixes suite versions or tiers"):
            TierView(v1, "quick", plan_runs(v1, "quick"), fake_records(v1, "quick", VALS) + bad)


def test_evaluate_uses_only_its_own_version(tmp_path, baselines) -> None:
    v1 = toy_suite(tmp_path / "a", ORDER, version=1)
    v2 = toy_suite(tmp_path / "b", ORDER, version=2)
    flipped = {("vit", 1.0): [60.0, 60.5, 61.0], ("resnet", 1.0): [70.0, 70.5, 71.0]}
    both = fake_records(v1, "quick", VALS) + fake_records(v2, "quick", flipped)
    [v] = evaluate(build_tier_view(v2, "quick", both), baselines)
    assert v.status == "fail" and v.compared["version"] == 2 and v.compared["n"] == {"vit": 3, "resnet": 3}
    [v] = evaluate(build_tier_view(v2, "quick", fake_records(v1, "quick", VALS)), baselines)
    assert v.status == "not run"


def test_mixed_devices_are_inconclusive(tmp_path, baselines) -> None:
    s = toy_suite(tmp_path / "a", ORDER + ck("band", arm="vit", reference_arm="resnet"))
    recs = fake_records(s, "quick", {("vit", 1.0): VALS[("vit", 1.0)]}, device="GPU A") + fake_records(
        s, "quick", {("resnet", 1.0): VALS[("resnet", 1.0)]}, device="GPU B"
    )
    for v in evaluate(build_tier_view(s, "quick", recs), baselines):
        assert v.status == "inconclusive" and "never mixes devices" in v.detail


def test_bad_check_key_fails_when_the_suite_loads(tmp_path) -> None:
    with pytest.raises(BenchError, match=r"toy.toml: key 'tiers.quick.checks\[0\].direction'"):
        toy_suite(tmp_path / "a", ck("monotone", arms=["resnet", "vit"], direction="up"))
