"""``run --dry-run`` counts what ``run`` trains: a training two suites share is marked and counted
once, and side by side the wall time is the longest-first packing of the trainings to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.launch.cost import estimate, human_seconds
from bench.launch.plan_view import PlanRow, lpt_makespan, plan_rows, render_plan
from bench.suite import RunSpec, load_suite, plan_runs

ONE = """
name = "one"
version = 1
title = "plan view test"
changelog = ["v1: test"]
[recipes.r]
optimizer = "sgd"
lr = 0.05
[recipes.fast]
optimizer = "sgd"
lr = 0.1
[arms.a]
model = "resnet_tiny"
recipe = "r"
[arms.b]
model = "vit_tiny"
recipe = "r"
[tiers.smoke]
data = { source = "synthetic", num_classes = 10, n_train = 4096, n_test = 512 }
epochs = 2
batch_size = 64
seeds = [0]
"""
# suite two: its arm a trains exactly what one's arm a trains; its arm c does not (another model and lr)
TWO = ONE.replace('name = "one"', 'name = "two"').replace(
    '[arms.b]\nmodel = "vit_tiny"\nrecipe = "r"', '[arms.c]\nmodel = "convit_cpu_tiny"\nrecipe = "fast"'
)


@pytest.fixture
def suites(tmp_path: Path) -> Path:
    sd = tmp_path / "suites"
    sd.mkdir()
    (sd / "one.toml").write_text(ONE)
    (sd / "two.toml").write_text(TWO)
    return sd


def specs_of(sd: Path) -> list[RunSpec]:
    return [s for name in ("one", "two") for s in plan_runs(load_suite(sd / f"{name}.toml"), "smoke")]


def seconds(spec: RunSpec) -> float:
    return estimate(spec.config, "cpu", "fp32").seconds


def rows_of(sd: Path, done: tuple[str, ...] = ()) -> dict[str, PlanRow]:
    """Plan rows keyed suite/arm; runs whose suite/arm is in ``done`` have status done."""
    rows = plan_rows(specs_of(sd), lambda s: "done" if f"{s.suite}/{s.arm}" in done else "pending", "cpu", "fp32")
    return {f"{r.spec.suite}/{r.spec.arm}": r for r in rows}


def cells(view: str) -> dict[str, list[str]]:
    """Table lines of a rendered plan by their first cell (a run id, or a suite name)."""
    return {
        ln.split("|")[1].strip(): [c.strip() for c in ln.strip("|").split("|")]
        for ln in view.splitlines()
        if ln.startswith("| ")
    }


def test_shared_training_is_marked_and_counted_once(suites: Path) -> None:
    by = rows_of(suites)
    assert list(by) == ["one/a", "one/b", "two/a", "two/c"]
    one_a = by["one/a"].spec.run_id
    assert by["two/a"].same_training_as == one_a and by["two/a"].seconds_to_do == 0
    assert by["one/a"].same_training_as is None and by["one/a"].seconds_to_do == seconds(by["one/a"].spec) > 0
    assert by["two/c"].same_training_as is None and by["two/c"].seconds_to_do == seconds(by["two/c"].spec)

    view = render_plan(list(by.values()), "cpu", "fp32", workers=1)
    table = cells(view)
    assert table[by["two/a"].spec.run_id][5:8] == ["pending", "0 s", f"same as {one_a}"]  # status, time, training
    assert table[one_a][5:8] == ["pending", human_seconds(seconds(by["one/a"].spec)), ""]
    # per tier: suite, tier, runs, done, pending, stale, trainings (to do), ..., est. time (to do) last
    assert table["one"][2:7] == ["2", "0", "2", "0", "2"]
    assert table["two"][2:7] == ["2", "0", "2", "0", "1"]
    assert table["two"][-1] == human_seconds(seconds(by["two/c"].spec))  # two/a counted in suite one
    todo = sum(seconds(by[k].spec) for k in ("one/a", "one/b", "two/c"))
    assert f"4 run(s), 4 to do, 3 training(s) to do; est. device time {human_seconds(todo)}" in view
    assert "first suite tier that plans it" in view and "wall time" not in view  # one at a time: no packing


def test_a_done_run_trains_nothing_for_a_pending_one(suites: Path) -> None:
    """Sharing is within one command: one/a done, so two/a (same training) is trained by this command."""
    by = rows_of(suites, done=("one/a",))
    assert by["two/a"].same_training_as is None and by["two/a"].seconds_to_do == seconds(by["two/a"].spec)
    assert by["one/a"].seconds_to_do == 0
    table = cells(render_plan(list(by.values()), "cpu", "fp32"))
    assert table["one"][6] == "1" and table["two"][6] == "2"


def test_rerun_trains_done_runs_again_and_shares_among_them(suites: Path) -> None:
    """``run --rerun`` repeats done runs: the dry run with ``rerun`` counts them, and shares as without."""
    rows = plan_rows(specs_of(suites), lambda s: "done", "cpu", "fp32", rerun=True)
    by = {f"{r.spec.suite}/{r.spec.arm}": r for r in rows}
    assert [r.status for r in rows] == ["done"] * 4 and all(r.todo for r in rows)
    assert by["two/a"].same_training_as == by["one/a"].spec.run_id
    assert "4 run(s), 4 to do, 3 training(s) to do" in render_plan(rows, "cpu", "fp32")


def test_wall_time_with_two_workers_is_the_longest_first_packing(suites: Path) -> None:
    by = rows_of(suites)
    a, b, c = sorted((seconds(by[k].spec) for k in ("one/a", "one/b", "two/c")), reverse=True)
    assert a != b != c
    packed = max(a, b + c)  # 3 jobs on 2 workers, longest first: the third joins the second's worker
    view = render_plan(list(by.values()), "cpu", "fp32", workers=2)
    assert f"est. wall time {human_seconds(packed)} with 2 runs side by side, longest first" in view


def test_lpt_makespan() -> None:
    assert lpt_makespan([3, 5, 3, 4, 3], 2) == 10  # greedy: [5, 3] and [4, 3, 3]; the optimum is 9
    assert lpt_makespan([2, 2, 2], 3) == 2 and lpt_makespan([2, 2, 2], 1) == 6
    assert lpt_makespan([], 2) == 0


def test_cli_dry_run_shows_sharing_and_the_wall_time(suites: Path, tmp_path: Path, capsys) -> None:
    base = ["run", "--suites-dir", str(suites), "--out", str(tmp_path / "out"), "--dry-run", "--device", "cpu"]
    assert main([*base, "--parallel", "2"]) == 0
    out = capsys.readouterr().out
    assert "same as one/v1/smoke/a/" in out and "3 training(s) to do" in out
    assert "with 2 runs side by side" in out
    assert main([*base, "--parallel", "1"]) == 0
    assert "wall time" not in capsys.readouterr().out
    assert main([*base, "--parallel", "0"]) == 2  # bad options fail under --dry-run too
