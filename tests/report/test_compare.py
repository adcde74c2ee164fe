"""`prs-bench compare` and `prs-bench baseline` from stored records."""

from __future__ import annotations

import csv
import io
import json

import pytest
from scipy import stats as ss

from bench.cli import main
from bench.records import RecordStore
from bench.report.compare import compare_rows
from tests.fakes import fake_records, toy_suite


def _store(root, suite, vals, device="GPU X", git=None):
    store = RecordStore(root)
    for r in fake_records(suite, "quick", vals, device=device):
        if git is not None:
            r.provenance["git"] = git
        store.write(r.relpath, r)
    return store


def test_compare_rows_deltas_and_p(tmp_path) -> None:
    suite = toy_suite(tmp_path / "s", "")
    a = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [60.0, 61.0, 62.0]})
    b = fake_records(suite, "quick", {("resnet", 1.0): [71.0, 71.5, 72.0]}, device="GPU Y")
    rows = {r.arm: r for r in compare_rows(a, b)}
    assert rows["resnet"].delta == pytest.approx(1.0) and rows["resnet"].display()["B − A"] == "+1.00"
    p = ss.ttest_ind([71.0, 71.5, 72.0], [70.0, 70.5, 71.0], equal_var=False).pvalue
    assert rows["resnet"].p == pytest.approx(p) and rows["resnet"].display()["p (Welch)"] == f"{p:.3g}"
    assert "devices differ" in rows["resnet"].display()["Note"] and rows["vit"].notes == ("only in A",)


def test_compare_cli(tmp_path, capsys) -> None:
    suite = toy_suite(tmp_path / "s", "")
    _store(tmp_path / "A", suite, {("resnet", 1.0): [70.0, 70.5, 71.0]})
    _store(tmp_path / "B", suite, {("resnet", 1.0): [70.1, 70.4, 71.2]})
    assert main(["compare", str(tmp_path / "A"), str(tmp_path / "B")]) == 0
    assert "+0.07" in capsys.readouterr().out


@pytest.fixture
def two_sides(tmp_path):
    suite = toy_suite(tmp_path / "s", "")
    _store(
        tmp_path / "A",
        suite,
        {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [60.0, 61.0, 62.0]},
        git={"commit": "a" * 40, "dirty": False},
    )
    _store(
        tmp_path / "B",
        suite,
        {("resnet", 1.0): [69.0, 69.5, 70.0], ("vit", 1.0): [60.5, 61.0, 61.5]},
        git={"commit": "b" * 40, "dirty": True},
    )
    return [str(tmp_path / "A"), str(tmp_path / "B")]


def test_compare_shows_each_sides_commit(two_sides, capsys) -> None:
    assert main(["compare", *two_sides]) == 0
    out = capsys.readouterr().out
    assert "Commit A" in out and "a" * 12 in out and "b" * 12 + "+dirty" in out


def test_compare_csv_and_json_are_tidy(two_sides, capsys) -> None:
    assert main(["compare", *two_sides, "--format", "csv"]) == 0
    text = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 and "\t" not in text and text.count("suite,version") == 1
    resnet = next(r for r in rows if r["arm"] == "resnet")
    assert float(resnet["delta"]) == pytest.approx(-1.0) and resnet["commits_a"] == "a" * 12
    assert 0 < float(resnet["p_welch"]) < 1 and resnet["n_a"] == "3"
    assert main(["compare", *two_sides, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all(isinstance(r["delta"], float) and isinstance(r["n_b"], int) for r in data)


def test_fail_below_gates_on_the_drop(two_sides, capsys) -> None:
    assert main(["compare", *two_sides, "--fail-below", "1.5"]) == 0  # resnet dropped 1.00
    capsys.readouterr()
    assert main(["compare", *two_sides, "--fail-below", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "1 arm(s) dropped more than 0.5" in err and "resnet synthetic-f1: -1.00" in err and "vit" not in err
    assert main(["compare", *two_sides, "--fail-below", "-1"]) == 2


def test_unknown_metric_is_exit_2(two_sides, capsys) -> None:
    assert main(["compare", *two_sides, "--metric", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--metric 'nosuch'" in err[0] and "test_acc" in err[0]


def test_baseline_add_and_list_cli(tmp_path, capsys, baselines) -> None:
    suite = toy_suite(tmp_path / "suites", "")
    _store(tmp_path / "results", suite, {("resnet", 1.0): [70.0, 70.5, 71.0]})
    args = ["--baselines", str(baselines.root)]
    assert main(["baseline", "add", str(tmp_path / "results"), "--suites-dir", str(tmp_path / "suites")] + args) == 0
    assert "+3 run(s)" in capsys.readouterr().out
    assert main(["baseline", "list"] + args) == 0
    out = capsys.readouterr().out
    assert "toy-single" in out and "GPU X" in out and "resnet@synthetic-f1: 3" in out


def test_baseline_add_refuses_stale_records(tmp_path, capsys, baselines) -> None:
    old = toy_suite(tmp_path / "old", "")
    _store(tmp_path / "results", old, {("resnet", 1.0): [70.0, 70.5, 71.0]})
    toy_suite(tmp_path / "suites", "[tiers.quick.recipe]\nlr = 0.3\n")  # same name and version, new config
    code = main(
        [
            "baseline",
            "add",
            str(tmp_path / "results"),
            "--suites-dir",
            str(tmp_path / "suites"),
            "--baselines",
            str(baselines.root),
        ]
    )
    assert code == 2 and "not in today's plan" in capsys.readouterr().err
