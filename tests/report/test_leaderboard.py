"""The leaderboard renders in every format from stored records alone; plots are written."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bench.records import RecordStore
from bench.report import build_tables, render, write_tables
from bench.report.plots import write_plots
from bench.suite import plan_runs
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

FR = (0.1, 1.0)
CHECKS = (ck("order", a="vit", b="resnet", fraction=1.0, claim="C1")
          + ck("crossover", a="vit", b="resnet", claim="C1")
          + ck("band", arm="resnet", reference="toy-single", fraction=1.0, tolerance=1.0))
VALS = {("resnet", 0.1): [50.0, 50.5, 51.0], ("resnet", 1.0): [70.0, 70.5, 71.0],
        ("vit", 0.1): [40.0, 40.5, 41.0], ("vit", 1.0): [75.0, 75.5, 76.0]}


@pytest.fixture
def stored(tmp_path):
    suite = toy_suite(tmp_path / "suites", CHECKS, fractions=FR)
    store = RecordStore(tmp_path / "results")
    specs = {(s.arm, s.data_label, s.seed): s for s in plan_runs(suite, "quick")}
    for r in fake_records(suite, "quick", VALS):
        store.write(specs[(r["arm"], r["data_label"], r["seed"])].relpath, r)
    return suite, store


def test_every_format_from_stored_records(stored, baselines) -> None:
    suite, store = stored
    arms, checks = build_tables([suite], store.all(), baselines=baselines)
    assert {r["Verdict"] for r in checks} == {"pass"}
    md = render(arms, checks, "md")
    assert "## Claims" in md and "| C1" in md and "70.50 ± 0.50" in md and "test source, table 1, row toy" in md
    gh = render(arms, checks, "github")
    assert "crossover: vit overtakes resnet" in gh
    data = json.loads(render(arms, checks, "json"))
    assert data["claims"][0] == {"Claim": "C1", "Suite": "toy", "Version": 1, "Tier": "quick", "Checks": 2, "pass": 2,
                                 "fail": 0, "inconclusive": 0, "not run": 0, "Verdict": "pass"}
    assert data["arms"][0]["values"] == [50.0, 50.5, 51.0]
    assert any(c["numbers"].get("crossing") for c in data["checks"])
    rows = list(csv.reader(io.StringIO(render(arms, checks, "csv"))))
    assert {r[0] for r in rows} == {"table", "arms", "claims", "checks"}
    band_row = next(r for r in arms if r["Arm"] == "RESNET" and r["Data"].endswith("f1"))
    assert band_row["Band"] == "[69.00, 71.00]" and band_row["Reference"].startswith("70 [toy-single]")


def test_failed_claim_shows_in_summary(tmp_path, baselines) -> None:
    suite = toy_suite(tmp_path / "s", CHECKS, fractions=FR)
    flipped = dict(VALS) | {("vit", 1.0): [60.0, 60.5, 61.0]}
    arms, checks = build_tables([suite], fake_records(suite, "quick", flipped), baselines=baselines)
    summary = json.loads(render(arms, checks, "json"))["claims"]
    assert summary[0]["Verdict"] == "fail" and summary[0]["fail"] >= 1


def test_no_records(tmp_path, baselines) -> None:
    suite = toy_suite(tmp_path / "s", CHECKS, fractions=FR)
    arms, checks = build_tables([suite], [], baselines=baselines)
    assert arms == [] and checks == []
    assert "no results yet" in render(arms, checks, "github")


def test_tables_and_plots_side_by_side(stored, baselines, tmp_path) -> None:
    suite, store = stored
    out = tmp_path / "board"
    arms, checks = build_tables([suite], store.all(), baselines=baselines)
    files = write_tables(out, arms, checks) + write_plots([suite], store.all(), out)
    names = sorted(p.name for p in files)
    assert names == ["leaderboard.csv", "leaderboard.json", "leaderboard.md", "toy-v1-quick-accuracy-vs-fraction.png",
                     "toy-v1-quick-curves-synthetic-f0.1.png", "toy-v1-quick-curves-synthetic-f1.png"]
    assert all(p.stat().st_size > 0 for p in files)
    assert (out / "toy-v1-quick-accuracy-vs-fraction.png").read_bytes()[:4] == b"\x89PNG"


def test_fourier_plots_from_analysis_summaries(tmp_path) -> None:
    suite = toy_suite(tmp_path / "s", "")
    blocks = [{"freq": [0.0, 0.25, 0.5], "delta": [0.0, -0.5 * d, -1.0 * d], "depth": d, "attention": d > 0.4,
               "kind": "attention" if d > 0.4 else "conv", "hf_freq": 0.5, "hf_delta": -1.0 * d} for d in (0.0, 0.5, 1.0)]
    summary = {"images": 8, "blocks": blocks}
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0], ("vit", 1.0): [71.0]},
                        analysis={("resnet", 1.0): [{"fourier": summary}], ("vit", 1.0): [{"fourier": summary}]})
    files = write_plots([suite], recs, tmp_path / "plots")
    names = sorted(p.name for p in files)
    assert "toy-v1-quick-fourier-depth-synthetic-f1.png" in names
    assert "toy-v1-quick-fourier-vit-synthetic-f1.png" in names
