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
