"""Which suite tiers a report shows, and that each is judged once from its one view."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from bench.report import tier_reports, tier_views
from bench.suite.plan import config_hash
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

ORDER = ck("order", a="vit", b="resnet", claim="C1")


def test_tiers_with_records_or_named(tmp_path: Any) -> None:
    quick = toy_suite(tmp_path / "a", ORDER, name="toy")
    other = toy_suite(tmp_path / "b", ORDER, name="other")
    recs = fake_records(quick, "quick", {("resnet", 1.0): [70.0], ("vit", 1.0): [71.0]})
    views = tier_views([quick, other], recs)
    assert [(v.suite.name, v.tier, len(v.records)) for v in views] == [("toy", "quick", 2)]
    named = tier_views([quick, other], recs, tiers=["quick"])  # a named tier is shown without records
    assert [(v.suite.name, len(v.records)) for v in named] == [("toy", 2), ("other", 0)]
    assert tier_views([quick], recs, tiers=["full"]) == []  # a tier the suite lacks


def test_stale_only_tier_is_shown_and_judged_on_current_records(tmp_path: Any, baselines: Any) -> None:
    suite = toy_suite(tmp_path, ORDER)
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]})
    config = copy.deepcopy(recs[0].config)
    config["recipe"]["lr"] = 0.123
    old = [replace(r, config=config, config_hash=config_hash(suite, config)) for r in recs]
    (stale_only,) = tier_reports([suite], old, baselines=baselines)
    assert stale_only.view.records == [] and stale_only.view.stale == len(old)
    assert [v.status for v in stale_only.verdicts] == ["not run"]
    (current,) = tier_reports([suite], recs + old, baselines=baselines)
    assert current.key == ("toy", 1, "quick") and current.view.stale == len(old)
    assert [v.status for v in current.verdicts] == ["pass"]
