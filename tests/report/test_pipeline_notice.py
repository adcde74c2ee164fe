"""A pipeline-check tier's outputs say what they are: every table, CSV, JSON and HTML section
starts with the tier's notice, stand-in models carry stand-in names and claim rows are marked.
Other tiers carry none of it. Which tier is which is the tier's ``kind`` (default: smoke)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.records import RecordStore
from bench.report import build_tables, render, tier_reports, write_tables
from bench.report.html import build_html
from bench.suite import load_suite
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

NOTICE = "PIPELINE CHECK, NOT A RESULT"
VALS = {("resnet", 1.0): [70.0], ("vit", 1.0): [75.0]}


def stored(tmp_path: Path, tier: str, kind: str | None = None):
    """A toy suite whose ``tier`` swaps the vit arm's model for another (a stand-in in a pipeline check)."""
    suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", claim="C1"), tier=tier, seeds=(0,))
    text = suite.path.read_text().replace("epochs = 2\n", "epochs = 2\n" + (f'kind = "{kind}"\n' if kind else ""))
    suite.path.write_text(text + f'[tiers.{tier}.overrides.vit]\nmodel = "resnet_tiny"\n')
    suite = load_suite(suite.path)
    store = RecordStore(tmp_path / "results")
    for r in fake_records(suite, tier, VALS):
        store.write(r.relpath, r)
    return suite, store


def outputs(tmp_path: Path, tier: str, kind: str | None = None, html: bool = True) -> dict[str, str]:
    suite, store = stored(tmp_path, tier, kind)
    reports = tier_reports([suite], store.all())
    arms, checks = build_tables(reports)
    files = {p.name: p.read_text() for p in write_tables(tmp_path / "board", arms, checks)}
    files["github"] = render(arms, checks, "github")
    if html:  # the page embeds the plots: the slow part
        files["html"] = build_html([suite], store.all())
    return files


def test_every_output_of_a_smoke_tier_starts_with_the_notice(tmp_path: Path) -> None:
    out = outputs(tmp_path, "smoke")
    for name in ("leaderboard.md", "github", *(f"leaderboard-{t}.csv" for t in ("arms", "claims", "checks"))):
        first = out[name].splitlines()[0]
        assert NOTICE in first and "synthetic data" in first and "says nothing about the paper" in first, name
        assert out[name].count(NOTICE) == 1, name  # one line, however many rows
    assert out["leaderboard-arms.csv"].startswith("# ")  # a comment line before the header
    rows = list(csv.DictReader(line for line in out["leaderboard-arms.csv"].splitlines() if not line.startswith("#")))
    assert {r["tier_kind"] for r in rows} == {"pipeline-check"}
    data = json.loads(out["leaderboard.json"])
    assert next(iter(data)) == "notice" and NOTICE in data["notice"]
    assert {r["arm_label"] for r in data["arms"]} == {"RESNET", "stand-in for VIT"}  # resnet trains its own model
    assert [r["tier_kind"] for r in data["claims"]] == ["pipeline-check"]
    assert "| C1 (pipeline check)" in out["github"] and "stand-in for VIT" in out["github"]
    page = out["html"]
    section = page[page.index('<h2 id="toy-1-smoke"') :]
    assert section.splitlines()[1].startswith('<p class="notice">' + NOTICE)  # the section's first line
    claims = page[page.index('<h2 id="claims">') :]
    assert claims.splitlines()[1].startswith('<p class="notice">' + NOTICE)
    assert "C1 (pipeline check)" in claims and "stand-in for VIT" in page


def test_other_tiers_carry_no_notice(tmp_path: Path) -> None:
    out = outputs(tmp_path, "quick")
    assert not any(NOTICE in text or "stand-in" in text or "(pipeline check)" in text for text in out.values())
    data = json.loads(out["leaderboard.json"])
    assert "notice" not in data and {r["tier_kind"] for r in data["arms"]} == {"measurement"}
    assert {r["arm_label"] for r in data["arms"]} == {"RESNET", "VIT"}


@pytest.mark.parametrize(
    ("tier", "kind", "noticed"), [("smoke", "measurement", False), ("quick", "pipeline-check", True)]
)
def test_the_tier_kind_decides_not_the_name(tmp_path: Path, tier: str, kind: str, noticed: bool) -> None:
    out = outputs(tmp_path, tier, kind, html=False)
    assert (NOTICE in out["leaderboard.md"].splitlines()[0]) is noticed


def test_a_bad_kind_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"tiers\.smoke\.kind.*'pipeline-check'"):
        stored(tmp_path, "smoke", "result")


def test_shipped_smoke_tiers_are_pipeline_checks(suites_dir: Path) -> None:
    from bench.suite import load_suites

    for s in load_suites(suites_dir=suites_dir):
        for tier in s.tiers:
            assert (s.tier_kind(tier) == "pipeline-check") is (tier == "smoke"), (s.name, tier)
    (ds,) = load_suites(["data-scale"], suites_dir)
    assert ds.tier_arm_label("convit", "smoke") == f"stand-in for {ds.arm_label('convit')}"  # convit_cpu_tiny
    assert ds.tier_arm_label("convit", "full") == ds.arm_label("convit")
