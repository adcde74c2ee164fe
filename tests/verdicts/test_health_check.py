"""The smoke-tier health rule: loss must fall and top-1 must beat chance by the margin."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.records import build_tier_view, make_record
from bench.records.metrics import TEST_ACC, TRAIN_LOSS
from bench.suite import load_suite, plan_runs
from bench.train.types import TrainResult
from bench.verdicts import evaluate

SUITE = """
name = "h"
version = 1
title = "t"
changelog = ["v1"]
[recipes.r]
optimizer = "sgd"
lr = 0.1
[arms.a]
model = "resnet_tiny"
recipe = "r"
[tiers.smoke]
data = { source = "synthetic", num_classes = 10 }
epochs = 2
batch_size = 8
seeds = [0, 1]
[[tiers.smoke.checks]]
kind = "health"
margin = 5.0
"""


def records(suite, accs, losses):
    out = []
    for spec, acc, (l0, l1) in zip(plan_runs(suite, "smoke"), accs, losses):
        history = [{"epoch": 1, TRAIN_LOSS: l0}, {"epoch": 2, TRAIN_LOSS: l1}]
        result = TrainResult("complete", metrics={TEST_ACC: acc}, history=history)
        out.append(make_record(spec, result, {"device_name": "cpu"}, 1.0, {}))
    return out


def verdict(tmp_path: Path, accs, losses):
    (tmp_path / "h.toml").write_text(SUITE)
    suite = load_suite(tmp_path / "h.toml")
    (v,) = evaluate(build_tier_view(suite, "smoke", records(suite, accs, losses)))
    return v


def test_pass(tmp_path: Path) -> None:
    v = verdict(tmp_path, [15.0, 30.0], [(2.3, 2.0), (2.3, 1.0)])
    assert v.status == "pass" and v.compared["n"] == {"a": 2}


def test_fail_on_accuracy_margin(tmp_path: Path) -> None:
    v = verdict(tmp_path, [14.9, 30.0], [(2.3, 2.0), (2.3, 1.0)])
    assert v.status == "fail" and "seed 0: top-1 14.9% < chance 10.0% + 5" in v.detail


def test_fail_when_loss_does_not_fall(tmp_path: Path) -> None:
    v = verdict(tmp_path, [50.0, 50.0], [(2.3, 2.3), (2.3, 1.0)])
    assert v.status == "fail" and "seed 0: train loss did not fall" in v.detail


def test_inconclusive_and_not_run(tmp_path: Path) -> None:
    v = verdict(tmp_path, [50.0], [(2.3, 1.0)])
    assert v.status == "inconclusive" and "1/2 runs" in v.detail
    v = verdict(tmp_path, [], [])
    assert v.status == "not run"


def test_nan_accuracy_or_loss_fails(tmp_path: Path) -> None:
    # NaN compares False with everything: it must not slip through as "above chance"
    v = verdict(tmp_path, [float("nan"), 30.0], [(2.3, 2.0), (2.3, 1.0)])
    assert v.status == "fail" and "seed 0" in v.detail
    v = verdict(tmp_path, [30.0, 30.0], [(2.3, float("nan")), (2.3, 1.0)])
    assert v.status == "fail" and "did not fall" in v.detail


def test_negative_margin_is_refused(tmp_path: Path) -> None:
    # a margin below zero would let a run below chance count as healthy: refused in one line
    (tmp_path / "h.toml").write_text(SUITE.replace("margin = 5.0", "margin = -1.0"))
    suite = load_suite(tmp_path / "h.toml")
    with pytest.raises(BenchError, match="margin"):
        evaluate(build_tier_view(suite, "smoke", records(suite, [50.0, 50.0], [(2.3, 1.0), (2.3, 1.0)])))


def test_an_arm_is_judged_only_where_it_runs(tmp_path: Path) -> None:
    """An arm whose override names fewer fractions (tiers.T.overrides.ARM.fractions) gets no
    health or regression verdict where it does not run: no "not run" that would fail a gate."""
    text = SUITE.replace("seeds = [0, 1]", "seeds = [0, 1]\nfractions = [0.5, 1.0]")
    text = text.replace("[arms.a]", '[arms.b]\nmodel = "resnet_tiny"\nrecipe = "r"\n[arms.a]')
    text += '[tiers.smoke.overrides.b]\nfractions = [1.0]\n[[tiers.smoke.checks]]\nkind = "regression"\n'
    (tmp_path / "h.toml").write_text(text)
    suite = load_suite(tmp_path / "h.toml")
    specs = plan_runs(suite, "smoke")
    assert sorted({(s.arm, s.data_label) for s in specs}) == [
        ("a", "synthetic-f0.5"),
        ("a", "synthetic-f1"),
        ("b", "synthetic-f1"),
    ]
    recs = records(suite, [30.0] * len(specs), [(2.3, 1.0)] * len(specs))
    got = {(v.check, v.arms[0], v.data) for v in evaluate(build_tier_view(suite, "smoke", recs))}
    for check in ("health", "regression"):
        assert (check, "b", "synthetic-f1") in got and (check, "a", "synthetic-f0.5") in got
        assert (check, "b", "synthetic-f0.5") not in got


def test_only_planned_seeds_count(tmp_path: Path) -> None:
    """Records of seeds the tier does not plan (e.g. `--seed-list 5`) cannot make health pass."""
    (tmp_path / "h.toml").write_text(SUITE)
    suite = load_suite(tmp_path / "h.toml")
    recs = records(suite, [30.0, 30.0], [(2.3, 1.0), (2.3, 1.0)])
    recs[1] = replace(recs[1], seed=5)  # planned seeds are 0 and 1
    (v,) = evaluate(build_tier_view(suite, "smoke", recs))
    assert v.status == "inconclusive" and "1/2 runs recorded (missing seeds 1)" in v.detail
