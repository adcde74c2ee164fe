"""The terminal view of the leaderboard: claims first, constant columns in a header, arm ids with a
legend, and every line within the width (issue 24: 120 columns)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench.cli import main
from bench.records import RecordStore
from bench.report import build_tables, tier_reports
from bench.report.terminal import render_text
from bench.suite_check import load_checked_suite
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

LONG = "a label long enough to push a table past any terminal: " + "x" * 80


@pytest.fixture
def rows(tmp_path: Path, baselines):
    suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", claim="C6") + ck("health", margin=2.0))
    suite.path.write_text(suite.path.read_text().replace('label = "VIT"', f'label = "{LONG}"'))
    suite = load_checked_suite(suite.path)
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]})
    return build_tables(tier_reports([suite], recs, baselines=baselines)), tmp_path


@pytest.mark.parametrize("width", [80, 120, 200])
def test_every_line_fits_the_width(rows, width) -> None:
    (arm_rows, check_rows), _ = rows
    text = render_text(arm_rows, check_rows, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    lines = text.splitlines()
    assert lines[0] == "toy v1 · tier quick · cpu (x86_64)"  # suite, version, tier and the one device: said once
    claims = next(i for i, ln in enumerate(lines) if ln.startswith("Claims: C6 pass (1 pass)"))
    arms = next(i for i, ln in enumerate(lines) if ln.startswith("Arm "))
    assert claims < arms  # the claims come first
    legend = " ".join(text[text.index("Arms: ") :].split())  # the legend, unwrapped
    assert "resnet = RESNET [resnet_tiny]; vit = a label long enough" in legend
    assert "order: vit > resnet" in text and "health: vit" in text


def test_the_cli_fits_columns_and_wide_keeps_everything(rows, monkeypatch, capsys) -> None:
    (arm_rows, _), tmp_path = rows
    store = RecordStore(tmp_path / "results")
    suite = load_checked_suite(tmp_path / "suites" / "toy.toml")
    for r in fake_records(suite, "quick", {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]}):
        store.write(r.relpath, r)
    args = [
        "--out",
        str(store.root),
        "--suites-dir",
        str(tmp_path / "suites"),
        "--baselines",
        str(tmp_path / "baselines"),
    ]
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["leaderboard"] + args) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 120
    assert main(["leaderboard", "--wide"] + args) == 0
    wide = capsys.readouterr().out
    assert "| Suite " in wide and LONG in wide and max(map(len, wide.splitlines())) > 120


def test_several_devices_get_a_column(rows) -> None:
    (arm_rows, check_rows), _ = rows
    moved = [replace(arm_rows[0], device="cuda (H100) [bf16, compiled, 1 rank(s)]"), *arm_rows[1:]]
    text = render_text(moved, check_rows, width=160)
    assert text.splitlines()[0] == "toy v1 · tier quick" and "Device" in text
