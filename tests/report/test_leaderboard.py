"""The leaderboard renders in every format from stored records alone; plots are written."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

from bench.errors import BenchError
from bench.records import RecordStore
from bench.report import TABLES, build_tables, render, summarize_claims, tier_reports, undecided, write_tables
from bench.report.plots import write_plots
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

FR = (0.1, 1.0)
CHECKS = (
    ck("order", a="vit", b="resnet", fraction=1.0, claim="C1")
    + ck("crossover", a="vit", b="resnet", claim="C1")
    + ck("band", arm="resnet", reference="toy-single", fraction=1.0, tolerance=1.0)
)
VALS = {
    ("resnet", 0.1): [50.0, 50.5, 51.0],
    ("resnet", 1.0): [70.0, 70.5, 71.0],
    ("vit", 0.1): [40.0, 40.5, 41.0],
    ("vit", 1.0): [75.0, 75.5, 76.0],
}


@pytest.fixture
def stored(tmp_path):
    suite = toy_suite(tmp_path / "suites", CHECKS, fractions=FR)
    store = RecordStore(tmp_path / "results")
    for r in fake_records(suite, "quick", VALS):
        store.write(r.relpath, r)
    return suite, store


def test_every_format_from_stored_records(stored, baselines) -> None:
    suite, store = stored
    arms, checks = build_tables(tier_reports([suite], store.all(), baselines=baselines))
    assert {r.status for r in checks} == {"pass"}
    md = render(arms, checks, "md")
    assert "## Claims" in md and "| C1" in md and "70.50 ± 0.50" in md and "test source, table 1, row toy" in md
    gh = render(arms, checks, "github")
    assert "crossover: vit overtakes resnet" in gh
    band_row = next(r.display() for r in arms if r.arm == "resnet" and r.data.endswith("f1"))
    assert band_row["Band"] == "[69.00, 71.00]" and band_row["Reference"].startswith("70 [toy-single]")
    assert band_row["Params (M)"] == "-" and band_row["GFLOPs"] == "-"  # fake records carry no model_stats


def test_json_is_tidy_ids_and_numbers(stored, baselines) -> None:
    suite, store = stored
    arms, checks = build_tables(tier_reports([suite], store.all(), baselines=baselines))
    data = json.loads(render(arms, checks, "json"))
    assert data["claims"][0] == {
        "claim": "C1",
        "suite": "toy",
        "version": 1,
        "tier": "quick",
        "checks": 2,
        "pass": 2,
        "fail": 0,
        "inconclusive": 0,
        "not_run": 0,
        "verdict": "pass",
        "tier_kind": "measurement",
    }
    first = data["arms"][0]
    assert first["arm"] == "resnet" and first["arm_label"] == "RESNET" and first["top1_values"] == [50.0, 50.5, 51.0]
    assert first["top1_mean"] == pytest.approx(50.5) and first["top1_std"] == pytest.approx(0.5)
    band = next(a for a in data["arms"] if a["arm"] == "resnet" and a["data"].endswith("f1"))
    assert (band["reference"], band["band_lo"], band["band_hi"]) == (70.0, 69.0, 71.0)
    for table in data.values():
        for row in table:
            for key, value in row.items():  # no display strings for numbers ("22.00", "70.50 ± 0.50")
                if isinstance(value, str) and key not in ("detail",):
                    assert not _looks_numeric(value), (key, value)
    assert all(isinstance(c["decides"], bool) for c in data["checks"])
    assert any(c["numbers"].get("crossing") for c in data["checks"])


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace("±", "").split()[0])
    except (ValueError, IndexError):
        return False
    return True


@pytest.mark.parametrize("table", TABLES)
def test_csv_is_one_tidy_table(stored, baselines, table) -> None:
    suite, store = stored
    arms, checks = build_tables(tier_reports([suite], store.all(), baselines=baselines))
    text = render(arms, checks, "csv", table=table)
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = json.loads(render(arms, checks, "json"))[table]
    assert len(rows) == len(expected) > 0
    assert list(rows[0]) == next(csv.reader(io.StringIO(text)))  # exactly one header row
    assert not any(r == list(rows[0]) for r in csv.reader(io.StringIO(text.split("\n", 1)[1])))
    for row, want in zip(rows, expected):
        assert row["suite"] == "toy" and row["version"] == "1"
        if table == "arms":
            assert float(row["top1_mean"]) == pytest.approx(want["top1_mean"])
            assert [float(x) for x in row["top1_values"].split(";")] == want["top1_values"]
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == list(rows[0]) and len(frame) == len(rows)
    if table == "arms":
        assert frame["top1_mean"].dtype.kind == "f" and frame["n"].dtype.kind == "i"


def test_model_stats_and_epoch_rule_in_the_arms_table(tmp_path, baselines) -> None:
    suite = toy_suite(tmp_path / "s", "")
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 71.0], ("vit", 1.0): [60.0, 61.0]})
    stats = {"params_start": 5_500_000, "params_end": 5_700_000, "gflops_start": 1.25, "gflops_end": 1.5}
    recs = [replace(r, model_stats=stats) if r.arm == "vit" else r for r in recs]
    suite.tiers["quick"]["epoch_rule"] = (
        "constant-steps"  # a tier key the suite schema owns; the table shows it when present
    )
    arms, checks = build_tables(tier_reports([suite], recs, baselines=baselines))
    vit = next(r for r in arms if r.arm == "vit")
    assert vit.display()["Params (M)"] == "5.50 → 5.70" and vit.display()["GFLOPs"] == "1.25 → 1.5"
    assert vit.tidy()["params_start"] == 5_500_000 and vit.tidy()["gflops_end"] == 1.5
    resnet = next(r for r in arms if r.arm == "resnet")
    assert resnet.display()["Params (M)"] == "-" and resnet.tidy()["params_start"] is None
    md = render(arms, checks, "md")
    assert "Epoch rule" in md and "| constant-steps" in md
    assert json.loads(render(arms, checks, "json"))["arms"][0]["epoch_rule"] == "constant-steps"


def test_undecided_checks_are_the_strict_gate(tmp_path, baselines) -> None:
    checks_toml = ck("order", a="vit", b="resnet", claim="C1") + ck(
        "order", a="resnet", b="vit", claim="C1", decides=False
    )
    suite = toy_suite(tmp_path / "s", checks_toml)
    _, none_run = build_tables(tier_reports([suite], [], tiers=["quick"], baselines=baselines))
    assert [r.status for r in none_run] == ["not run", "not run"]
    assert [r.decides for r in undecided(none_run)] == [True]  # the informative check does not gate
    recs = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]})
    _, done = build_tables(tier_reports([suite], recs, baselines=baselines))
    assert undecided(done) == [] and [r.status for r in done] == ["pass", "fail"]
    assert summarize_claims(done)[0].verdict == "pass"  # the claim's verdict is that of its deciding checks
    assert "fail (informative)" in render(*build_tables(tier_reports([suite], recs, baselines=baselines)), "github")


def test_decides_must_be_a_boolean(tmp_path) -> None:
    bad = ck("order", a="vit", b="resnet", decides="no")
    with pytest.raises(BenchError, match=r"checks\[0\]\.decides' must be true or false"):
        toy_suite(tmp_path / "s", bad)


def test_failed_claim_shows_in_summary(tmp_path, baselines) -> None:
    suite = toy_suite(tmp_path / "s", CHECKS, fractions=FR)
    flipped = dict(VALS) | {("vit", 1.0): [60.0, 60.5, 61.0]}
    arms, checks = build_tables(tier_reports([suite], fake_records(suite, "quick", flipped), baselines=baselines))
    summary = json.loads(render(arms, checks, "json"))["claims"]
    assert summary[0]["verdict"] == "fail" and summary[0]["fail"] >= 1


def test_no_records(tmp_path, baselines) -> None:
    suite = toy_suite(tmp_path / "s", CHECKS, fractions=FR)
    arms, checks = build_tables(tier_reports([suite], [], baselines=baselines))
    assert arms == [] and checks == []
    assert "no results yet" in render(arms, checks, "github")


def test_tables_and_plots_side_by_side(stored, baselines, tmp_path) -> None:
    suite, store = stored
    out = tmp_path / "board"
    reports = tier_reports([suite], store.all(), baselines=baselines)
    arms, checks = build_tables(reports)
    files = write_tables(out, arms, checks) + write_plots(reports, out)
    names = sorted(p.name for p in files)
    assert names == [
        "leaderboard-arms.csv",
        "leaderboard-checks.csv",
        "leaderboard-claims.csv",
        "leaderboard.json",
        "leaderboard.md",
        "toy-v1-quick-accuracy-vs-fraction.png",
        "toy-v1-quick-curves-synthetic-f0.1.png",
        "toy-v1-quick-curves-synthetic-f1.png",
    ]
    assert all(p.stat().st_size > 0 for p in files)
    assert (out / "toy-v1-quick-accuracy-vs-fraction.png").read_bytes()[:4] == b"\x89PNG"


def test_fourier_plots_from_analysis_summaries(tmp_path) -> None:
    suite = toy_suite(tmp_path / "s", "")
    blocks = [
        {
            "freq": [0.0, 0.25, 0.5],
            "delta": [0.0, -0.5 * d, -1.0 * d],
            "depth": d,
            "attention": d > 0.4,
            "kind": "attention" if d > 0.4 else "conv",
            "hf_freq": 0.5,
            "hf_delta": -1.0 * d,
        }
        for d in (0.0, 0.5, 1.0)
    ]
    summary = {"images": 8, "blocks": blocks}
    recs = fake_records(
        suite,
        "quick",
        {("resnet", 1.0): [70.0], ("vit", 1.0): [71.0]},
        analysis={("resnet", 1.0): [{"fourier": summary}], ("vit", 1.0): [{"fourier": summary}]},
    )
    files = write_plots(tier_reports([suite], recs), tmp_path / "plots")
    names = sorted(p.name for p in files)
    assert "toy-v1-quick-fourier-depth-synthetic-f1.png" in names
    assert "toy-v1-quick-fourier-vit-synthetic-f1.png" in names
