"""What a run prints where no progress bar shows (a SLURM log, CI, side-by-side workers): one line
per epoch with the run's ETA, and the plan's ETA after each run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from bench.data.types import DataBundle
from bench.runner import PlanClock
from bench.suite.plan import RunSpec
from bench.train import RunContext, train_run
from bench.train.progress import duration, epoch_line

CPU = torch.device("cpu")


def test_a_run_without_a_bar_prints_one_line_per_epoch(config: Callable[..., dict], tiny_data: DataBundle) -> None:
    lines: list[str] = []
    cfg = config("resnet_tiny", None, epochs=3)
    cfg["recipe"]["eval_every"] = 2
    spec = RunSpec.adhoc(cfg, 0)
    result = train_run(spec, tiny_data, RunContext(CPU, progress=False, log=lines.append))
    epochs = [ln for ln in lines if " epoch " in ln]
    assert [ln.split(" epoch ")[1].split(":")[0] for ln in epochs] == ["1/3", "2/3", "3/3"]
    assert all(spec.run_id in ln and "loss " in ln and "img/s" in ln for ln in epochs)
    assert ["test " in ln for ln in epochs] == [False, True, True]  # evaluated at epoch 2 and the last
    assert "ETA" in epochs[0] and epochs[-1].endswith("; done")
    assert f"test {result.history[-1]['test_acc']:.1f}%" in epochs[-1]


def test_a_run_with_a_bar_prints_no_epoch_lines(config: Callable[..., dict], tiny_data: DataBundle) -> None:
    lines: list[str] = []
    train_run(
        RunSpec.adhoc(config("resnet_tiny", None, epochs=1), 0),
        tiny_data,
        RunContext(CPU, progress=True, log=lines.append),
    )
    assert not [ln for ln in lines if " epoch " in ln]


def test_epoch_line_eta_is_the_mean_epoch_time_times_the_epochs_left() -> None:
    entry: dict[str, Any] = {"epoch": 2, "train_loss": 1.23456, "train_acc": 55.55, "img_per_s": 812.4}
    line = epoch_line("s/v1/t/a/d/seed0", entry, epochs=10, seconds_so_far=120.0, epochs_so_far=2)
    assert line == "    s/v1/t/a/d/seed0 epoch 2/10: loss 1.235, train 55.5%, 812 img/s; ETA 8.0 min"
    assert [duration(s) for s in (42, 450, 7200)] == ["42 s", "7.5 min", "2.0 h"]


def _spec(i: int) -> RunSpec:
    return RunSpec("s", 1, "t", f"a{i}", 0, "d", {}, f"h{i}")


def test_plan_eta_scales_the_time_spent_by_the_cost_model() -> None:
    specs = [_spec(i) for i in range(3)]
    costs = {"a0": 10.0, "a1": 30.0, "a2": 60.0}
    clock = PlanClock(specs, lambda s: costs[s.arm])
    # the first run took twice its estimate: the 90 estimated seconds left become 180
    assert clock.finished(specs[0], 20.0) == "    plan: 1/3 runs done in 20 s; about 3.0 min left"
    assert clock.finished(specs[1], 60.0) == "    plan: 2/3 runs done in 80 s; about 2.0 min left"
    assert clock.finished(specs[2], 100.0) is None  # the last run: nothing left to estimate
    plain = PlanClock(specs, None)  # no cost model: the mean run time
    assert plain.finished(specs[0], 30.0) == "    plan: 1/3 runs done in 30 s; about 60 s left"
