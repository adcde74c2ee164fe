"""`prs-bench leaderboard`: formats, --save (tables + plots side by side), --strict."""

from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.records import RecordStore
from bench.suite import plan_runs
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

VALS = {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]}


@pytest.fixture
def results(tmp_path):
    def make(vals=VALS):
        suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", claim="C6"))
        store = RecordStore(tmp_path / "results")
        specs = {(s.arm, s.data_label, s.seed): s for s in plan_runs(suite, "quick")}
        for r in fake_records(suite, "quick", vals):
            store.write(specs[(r["arm"], r["data_label"], r["seed"])].relpath, r, replace=True)
        (tmp_path / "baselines").mkdir(exist_ok=True)
        return ["--out", str(tmp_path / "results"), "--suites-dir", str(tmp_path / "suites"),
                "--baselines", str(tmp_path / "baselines")]

    return make


@pytest.mark.parametrize("fmt", ["md", "github", "csv", "json"])
def test_formats(results, capsys, fmt) -> None:
    assert main(["leaderboard", "--format", fmt] + results()) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["claims"][0]["Verdict"] == "pass"
    else:
        assert "C6" in out


def test_save_writes_tables_and_plots(results, tmp_path, capsys) -> None:
    board = tmp_path / "board"
    assert main(["leaderboard", "--save", str(board)] + results()) == 0
    names = sorted(p.name for p in board.iterdir())
    assert names == ["leaderboard.csv", "leaderboard.json", "leaderboard.md", "toy-v1-quick-curves-synthetic-f1.png"]


def test_strict_fails_on_a_failed_verdict(results, capsys) -> None:
    args = results({("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [60.0, 60.5, 61.0]})
    assert main(["leaderboard"] + args) == 0
    assert main(["leaderboard", "--strict"] + args) == 1
    assert "order: vit > resnet" in capsys.readouterr().err
