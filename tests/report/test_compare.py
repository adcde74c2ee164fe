"""`prs-bench compare` and `prs-bench baseline` from stored records."""

from __future__ import annotations

from scipy import stats as ss

from bench.cli import main
from bench.cli.compare_cmd import compare_rows
from bench.records import RecordStore
from bench.suite import plan_runs
from tests.fakes import fake_records, toy_suite


def _store(root, suite, vals, device="GPU X"):
    store = RecordStore(root)
    specs = {(s.arm, s.data_label, s.seed): s for s in plan_runs(suite, "quick")}
    for r in fake_records(suite, "quick", vals, device=device):
        store.write(specs[(r["arm"], r["data_label"], r["seed"])].relpath, r)
    return store


def test_compare_rows_deltas_and_p(tmp_path) -> None:
    suite = toy_suite(tmp_path / "s", "")
    a = fake_records(suite, "quick", {("resnet", 1.0): [70.0, 70.5, 71.0], ("vit", 1.0): [60.0, 61.0, 62.0]})
    b = fake_records(suite, "quick", {("resnet", 1.0): [71.0, 71.5, 72.0]}, device="GPU Y")
    rows = {r["Arm"]: r for r in compare_rows(a, b)}
    assert rows["resnet"]["B − A"] == "+1.00"
    p = ss.ttest_ind([71.0, 71.5, 72.0], [70.0, 70.5, 71.0], equal_var=False).pvalue
    assert rows["resnet"]["p (Welch)"] == f"{p:.3g}"
    assert "devices differ" in rows["resnet"]["Note"] and rows["vit"]["Note"] == "only in A"


def test_compare_cli(tmp_path, capsys) -> None:
    suite = toy_suite(tmp_path / "s", "")
    _store(tmp_path / "A", suite, {("resnet", 1.0): [70.0, 70.5, 71.0]})
    _store(tmp_path / "B", suite, {("resnet", 1.0): [70.1, 70.4, 71.2]})
    assert main(["compare", str(tmp_path / "A"), str(tmp_path / "B")]) == 0
    assert "+0.07" in capsys.readouterr().out


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
    toy_suite(tmp_path / "suites", "[tiers.quick.recipe]\nlr = 0.3\n")      # same name and version, new config
    code = main(["baseline", "add", str(tmp_path / "results"), "--suites-dir", str(tmp_path / "suites"),
                 "--baselines", str(baselines.root)])
    assert code == 2 and "not in today's plan" in capsys.readouterr().err
