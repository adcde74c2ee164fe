"""The data-scale epoch rule: constant-steps trains a fraction f for round(epochs / f) epochs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.suite import load_suite, plan_runs
from tests.fakes import toy_suite


def suite(tmp_path: Path, rule: str | None):
    s = toy_suite(tmp_path, fractions=(0.3, 1.0), seeds=(0,))
    text = s.path.read_text().replace("epochs = 2\n", "epochs = 10\n" + (f'epoch_rule = "{rule}"\n' if rule else ""))
    text += (
        "[tiers.quick.recipe]\nwarmup_epochs = 2\nlr_milestones = [5, 8]\n"
        '[tiers.quick.overrides.vit]\nschedule = { kind = "prs", first = 3, last = 6, force_soften_epochs = 2 }\n'
    )
    s.path.write_text(text)
    return load_suite(s.path)


def test_constant_steps_scales_every_epoch_count(tmp_path: Path) -> None:
    s = suite(tmp_path, "constant-steps")
    cfg = s.resolve("vit", "quick", 0.3)
    assert cfg["recipe"]["epochs"] == 33  # round(10 / 0.3)
    assert cfg["recipe"]["warmup_epochs"] == 7 and cfg["recipe"]["lr_milestones"] == [17, 27]
    assert cfg["schedule"] == {"kind": "prs", "first": 10, "last": 20, "force_soften_epochs": 7}
    assert s.resolve("vit", "quick", 1.0)["recipe"]["epochs"] == 10


def test_the_rule_enters_the_config_hash(tmp_path: Path) -> None:
    steps = {r.data_label: r.config_hash for r in plan_runs(suite(tmp_path / "a", "constant-steps"), "quick")}
    epochs = {r.data_label: r.config_hash for r in plan_runs(suite(tmp_path / "b", "constant-epochs"), "quick")}
    default = {r.data_label: r.config_hash for r in plan_runs(suite(tmp_path / "c", None), "quick")}
    assert epochs == default  # constant-epochs is the default
    assert steps["synthetic-f0.3"] != epochs["synthetic-f0.3"]
    assert steps["synthetic-f1"] == epochs["synthetic-f1"]  # f = 1 trains the same either way


def test_bad_rule_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="epoch_rule"):
        suite(tmp_path, "same-steps")


def test_list_shows_each_tiers_rule(suites_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "data-scale", "--suites-dir", str(suites_dir)]) == 0
    out = capsys.readouterr().out
    assert "Epoch rule" in out and "constant-steps" in out


def test_leaderboard_shows_the_epoch_rule(tmp_path: Path) -> None:
    from bench.baselines import Baselines
    from bench.report import build_tables, tier_reports
    from tests.fakes import fake_records

    s = suite(tmp_path, "constant-steps")
    recs = fake_records(s, "quick", {("vit", 0.3): [50.0], ("vit", 1.0): [60.0]})
    arm_rows, _ = build_tables(tier_reports([s], recs, baselines=Baselines(tmp_path / "none")))
    assert {r.display()["Epoch rule"] for r in arm_rows} == {"constant-steps"}
