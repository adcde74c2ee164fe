"""The data-scale epoch rule: constant-steps gives a fraction below 1 epochs of the full set's length."""

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


def test_constant_steps_gives_full_set_epochs_and_keeps_every_epoch_count(tmp_path: Path) -> None:
    s = suite(tmp_path, "constant-steps")
    cfg, full = s.resolve("vit", "quick", 0.3), s.resolve("vit", "quick", 1.0)
    assert cfg["recipe"]["epoch_length"] == "full-set"  # steps per epoch: the whole set's (bench/train/steps.py)
    assert (
        cfg["recipe"]["epochs"] == 10
        and cfg["recipe"]["warmup_epochs"] == 2
        and cfg["recipe"]["lr_milestones"] == [5, 8]
    )
    assert cfg["schedule"] == {"kind": "prs", "first": 3, "last": 6, "force_soften_epochs": 2}
    assert "epoch_length" not in full["recipe"]  # f = 1: one pass is the full set, the config stays as written
    assert s.resolve("vit", "quick", 1.0) == suite(tmp_path / "b", "constant-epochs").resolve("vit", "quick", 1.0)


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
