"""The record keeps the final epoch's top-1 (test_acc) and the best epoch's (test_acc_best)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from bench.data.types import DataBundle
from bench.train import train_run


def test_final_and_best_epoch_accuracy(config: Callable[..., dict[str, Any]], tiny_data: DataBundle) -> None:
    res = train_run(config(epochs=3), tiny_data, torch.device("cpu"), seed=0, progress=False)
    accs = [h["test_acc"] for h in res.history]
    assert res.metrics["test_acc"] == accs[-1]
    assert res.metrics["test_acc_best"] == max(accs)
    assert accs[res.metrics["best_epoch"] - 1] == max(accs)
