"""The record keeps the final epoch's top-1 (test_acc) and the best epoch's (test_acc_best)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from bench.data.types import DataBundle
from bench.suite.plan import RunSpec
from bench.train import RunContext, train_run


def test_final_and_best_epoch_accuracy(config: Callable[..., dict[str, Any]], tiny_data: DataBundle) -> None:
    res = train_run(RunSpec.adhoc(config(epochs=3), 0), tiny_data, RunContext(torch.device("cpu")))
    accs = [h["test_acc"] for h in res.history]
    assert res.metrics["test_acc"] == accs[-1]
    assert res.metrics["test_acc_best"] == max(accs)
    assert accs[res.metrics["best_epoch"] - 1] == max(accs)


def test_eval_every_evaluates_every_nth_epoch_and_the_last(
    config: Callable[..., dict[str, Any]], tiny_data: DataBundle
) -> None:
    cfg = config(epochs=5)
    cfg["recipe"]["eval_every"] = 2
    res = train_run(RunSpec.adhoc(cfg, 0), tiny_data, RunContext(torch.device("cpu")))
    assert [h["epoch"] for h in res.history if "test_acc" in h] == [2, 4, 5]
    assert res.metrics["test_acc"] == res.history[-1]["test_acc"]
    assert res.metrics["best_epoch"] in (2, 4, 5)


def test_seed_offset_trains_a_twin_from_other_seeds(
    config: Callable[..., dict[str, Any]], tiny_data: DataBundle
) -> None:
    """A twin arm (recipe seed_offset) is the same run at seed + offset: the negative control's premise."""
    cfg = config(epochs=1)
    twin = {**cfg, "recipe": {**cfg["recipe"], "seed_offset": 7}}
    cpu = RunContext(torch.device("cpu"))
    a = train_run(RunSpec.adhoc(twin, 0), tiny_data, cpu).history[0]["train_loss"]
    b = train_run(RunSpec.adhoc(cfg, 7), tiny_data, cpu).history[0]["train_loss"]
    c = train_run(RunSpec.adhoc(cfg, 0), tiny_data, cpu).history[0]["train_loss"]
    assert a == b != c
