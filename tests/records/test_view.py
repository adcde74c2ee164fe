"""The tier view: which records count for a tier, and what checks, tables and plots read from it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.records import TierView, build_tier_view
from bench.records.metrics import TEST_ACC_BEST
from tests.fakes import fake_records, toy_suite


def test_view_keeps_complete_current_records_of_its_tier_only(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path / "a", fractions=(0.5, 1.0))
    other = toy_suite(tmp_path / "b", version=2)
    recs = fake_records(suite, "quick", {("vit", 1.0): [61.0, 60.0], ("vit", 0.5): [50.0], ("resnet", 1.0): [70.0]})
    failed = replace(recs[0], status="failed", error="boom")
    stale = replace(recs[1], config_hash="0" * 64)
    mixed = fake_records(other, "quick", {("vit", 1.0): [99.0]})
    view = build_tier_view(suite, "quick", recs[1:] + [failed, stale] + mixed)
    assert view.stale == 1
    assert sorted(r.run_id for r in view.records) == sorted(r.run_id for r in recs[1:])
    assert view.planned_count("vit") == 6 and view.planned_count("vit", "synthetic-f1") == 3
    assert view.data_labels() == ["synthetic-f0.5", "synthetic-f1"]
    assert view.fractions() == {"synthetic-f0.5": 0.5, "synthetic-f1": 1.0}
    assert [r.seed for r in view.arm_records("vit", "synthetic-f1")] == [1]
    assert view.values("vit") == [50.0, 60.0]
    assert view.compared(["vit", "resnet"], "synthetic-f1") == {
        "suite": "toy",
        "version": 1,
        "tier": "quick",
        "data": "synthetic-f1",
        "n": {"vit": 1, "resnet": 1},
        "device": "cpu (x86_64)",
    }


def test_values_sorted_by_seed_and_named_metric(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path)
    recs = fake_records(
        suite,
        "quick",
        {("vit", 1.0): [61.0, 60.0, 62.0]},
        extra={("vit", 1.0): [{TEST_ACC_BEST: v} for v in (1.0, 2.0, 3.0)]},
    )
    view = build_tier_view(suite, "quick", list(reversed(recs)))
    assert view.values("vit") == [61.0, 60.0, 62.0]
    assert view.values("vit", metric=TEST_ACC_BEST) == [1.0, 2.0, 3.0]
    assert (
        view.planned_seeds("vit") == [0, 1, 2]
        and build_tier_view(suite, "quick", recs, seeds=[0]).planned_count("vit") == 1
    )


def test_devices_are_never_pooled(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path)
    recs = fake_records(suite, "quick", {("vit", 1.0): [61.0]}) + fake_records(
        suite, "quick", {("resnet", 1.0): [70.0]}, device="gpu"
    )
    view = build_tier_view(suite, "quick", recs)
    assert view.devices() == ["cpu (x86_64)", "gpu"]
    assert view.device_problem(["vit"]) is None
    assert "records come from 2 devices (vit: cpu (x86_64); resnet: gpu)" in str(view.device_problem(["vit", "resnet"]))


def test_a_view_refuses_records_of_another_tier(tmp_path: Path) -> None:
    suite = toy_suite(tmp_path)
    recs = fake_records(suite, "quick", {("vit", 1.0): [61.0]})
    with pytest.raises(BenchError, match="never mixes suite versions or tiers"):
        TierView(suite, "quick", [], [replace(recs[0], version=2)])
