"""`prs-bench leaderboard`: formats, --save (tables + plots side by side), --strict."""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.records import RecordStore
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

VALS = {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [75.0, 75.5, 76.0]}


@pytest.fixture
def results(tmp_path):
    def make(vals=VALS):
        suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", claim="C6"))
        store = RecordStore(tmp_path / "results")
        for r in fake_records(suite, "quick", vals):
            store.write(r.relpath, r, replace=True)
        (tmp_path / "baselines").mkdir(exist_ok=True)
        return [
            "--out",
            str(tmp_path / "results"),
            "--suites-dir",
            str(tmp_path / "suites"),
            "--baselines",
            str(tmp_path / "baselines"),
        ]

    return make


@pytest.mark.parametrize("fmt", ["md", "github", "csv", "json"])
def test_formats(results, capsys, fmt) -> None:
    assert main(["leaderboard", "--format", fmt] + results()) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["claims"][0]["verdict"] == "pass"
    elif fmt == "csv":
        assert out.startswith("suite,version,tier,arm,") and "75.5" in out
    else:
        assert "C6" in out


def test_save_writes_tables_and_plots(results, tmp_path, capsys) -> None:
    board = tmp_path / "board"
    assert main(["leaderboard", "--save", str(board)] + results()) == 0
    names = sorted(p.name for p in board.iterdir())
    assert names == [
        "leaderboard-arms.csv",
        "leaderboard-checks.csv",
        "leaderboard-claims.csv",
        "leaderboard.json",
        "leaderboard.md",
        "toy-v1-quick-curves-synthetic-f1.png",
    ]
    for p in board.iterdir():
        assert p.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_strict_fails_on_a_failed_verdict(results, capsys) -> None:
    args = results({("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [60.0, 60.5, 61.0]})
    assert main(["leaderboard"] + args) == 0
    assert main(["leaderboard", "--strict"] + args) == 1
    assert "order: vit > resnet" in capsys.readouterr().err


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old


def test_strict_fails_on_not_run_and_inconclusive_checks(results, tmp_path, capsys) -> None:
    args = results()
    assert main(["leaderboard", "--strict"] + args) == 0  # every deciding check passed
    capsys.readouterr()
    # a tier with no runs: its checks come back "not run"
    suite = (tmp_path / "suites" / "toy.toml").read_text()
    (tmp_path / "suites" / "toy.toml").write_text(
        suite + suite[suite.index("[tiers.quick]") :].replace("quick", "full")
    )
    assert main(["leaderboard", "--tier", "full"] + args) == 0
    capsys.readouterr()
    assert main(["leaderboard", "--strict", "--tier", "full"] + args) == 1
    err = capsys.readouterr().err
    assert "1 not run" in err and "toy/full order: vit > resnet @ synthetic-f1 (not run)" in err
    # one seed per arm: the order check is inconclusive, and --strict fails on it
    one = results({("resnet", 1.0): [70.0], ("vit", 1.0): [75.0]})
    for extra in ("seed1.json", "seed2.json"):
        for p in (tmp_path / "results" / "runs").rglob(extra):
            p.unlink()
    assert main(["leaderboard", "--strict"] + one) == 1
    assert "inconclusive" in capsys.readouterr().err


def test_strict_ignores_checks_that_do_not_decide(tmp_path, capsys) -> None:
    suite = toy_suite(tmp_path / "suites", ck("order", a="vit", b="resnet", claim="C6", decides=False))
    store = RecordStore(tmp_path / "results")
    for r in fake_records(suite, "quick", {("resnet", 1.0): [70.0], ("vit", 1.0): [75.0]}):
        store.write(r.relpath, r)
    (tmp_path / "baselines").mkdir()
    args = [
        "--out",
        str(tmp_path / "results"),
        "--suites-dir",
        str(tmp_path / "suites"),
        "--baselines",
        str(tmp_path / "baselines"),
    ]
    assert main(["leaderboard", "--strict"] + args) == 0  # one seed: inconclusive, but it only informs
    assert "inconclusive (informative)" in capsys.readouterr().out


@pytest.mark.parametrize("table", ["arms", "claims", "checks"])
def test_csv_prints_one_table(results, capsys, table) -> None:
    assert main(["leaderboard", "--format", "csv", "--table", table] + results()) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == (["claim", "suite", "version"] if table == "claims" else ["suite", "version", "tier"])
    assert all(len(r) == len(rows[0]) for r in rows) and rows[0] not in rows[1:]


@pytest.mark.parametrize(
    "check, needle",
    [
        (ck("order", a="vit", b="nosuch", claim="C6"), "names unknown arm 'nosuch'"),
        (ck("band", arm="vit", reference="no-such-baseline", tolerance=1.0), "no-such-baseline"),
    ],
)
def test_leaderboard_and_report_refuse_a_malformed_suite_alike(results, tmp_path, capsys, check, needle) -> None:
    """Both commands read suites through the checked loader: the same one line, exit 2, nothing written."""
    args = results()  # records of the good suite; then the suite file goes bad
    with pytest.raises(BenchError, match=re.escape(needle)):  # the fixture writes it, then loads it checked
        toy_suite(tmp_path / "suites", check)
    html = tmp_path / "report.html"
    assert main(["leaderboard", *args]) == 2
    board_err = capsys.readouterr().err.strip().splitlines()
    out, suites_dir, baselines = args[1], args[3], args[5]
    argv = ["report", out, "--html", str(html), "--suites-dir", suites_dir, "--baselines", baselines]
    assert main(argv) == 2
    report_err = capsys.readouterr().err.strip().splitlines()
    assert len(board_err) == 1 and board_err == report_err
    assert "toy.toml" in board_err[0] and needle in board_err[0] and board_err[0].startswith("prs-bench: error:")
    assert not html.exists()


def test_arms_gates_part_of_a_tier(tmp_path, capsys) -> None:
    """`--arms vit`: the vit rows and the checks that read vit alone; the order check, which also
    reads resnet (never trained here), is left out instead of failing the gate as "not run"."""
    checks = ck("order", a="vit", b="resnet", claim="C6") + ck("health", margin=2.0)
    suite = toy_suite(tmp_path / "suites", checks)
    store = RecordStore(tmp_path / "results")
    for r in fake_records(suite, "quick", {("vit", 1.0): [75.0, 75.5, 76.0]}):
        store.write(r.relpath, r)
    (tmp_path / "baselines").mkdir()
    args = ["--out", str(tmp_path / "results"), "--suites-dir", str(tmp_path / "suites")]
    args += ["--baselines", str(tmp_path / "baselines")]
    assert main(["leaderboard", "--strict"] + args) == 1  # resnet's health and the order check: not run
    assert "not run" in capsys.readouterr().err
    assert main(["leaderboard", "--strict", "--arms", "vit", "--format", "json"] + args) == 0
    tables = json.loads(capsys.readouterr().out)
    assert {r["arm"] for r in tables["arms"]} == {"vit"}
    assert [(r["kind"], r["arms"]) for r in tables["checks"]] == [("health", ["vit"])]
    # the same arm list the other way round: the order check still reads an arm not listed
    assert main(["leaderboard", "--strict", "--arms", "resnet"] + args) == 1
    assert "health: resnet" in capsys.readouterr().err
    assert main(["leaderboard", "--arms", "vit,nosuch"] + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown arm(s) nosuch" in err[0] and "resnet, vit" in err[0]
