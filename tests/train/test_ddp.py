"""DDP (gloo, 2 CPU processes) equals one process with the same global batch, within float tolerance.

The model is vit_tiny: LayerNorm, no dropout. BatchNorm would differ by design (each rank
normalizes with its own half-batch statistics; SyncBatchNorm would restore equality), so a
BatchNorm model cannot show equality of the training core's data/gradient/metric handling.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bench.train.final import WEIGHTS, read_final

pytestmark = pytest.mark.slow


def test_two_gloo_ranks_equal_one_process(tmp_path: Path, script) -> None:
    single, multi, init = tmp_path / "single", tmp_path / "multi", tmp_path / "pg-init"
    procs = [script("ddp", single)] + [
        script("ddp", multi, "--rank", str(r), "--world", "2", "--init", str(init)) for r in (0, 1)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    a, b = (json.loads((d / "result.json").read_text()) for d in (single, multi))
    assert a["status"] == b["status"] == "complete"
    for key in ("train_loss", "test_loss"):
        assert b["metrics"][key] == pytest.approx(a["metrics"][key], rel=1e-4, abs=1e-5)
    assert abs(b["metrics"]["test_acc"] - a["metrics"]["test_acc"]) <= 100 / 64 + 1e-9  # at most one image
    wa, wb = (read_final(d / WEIGHTS).state for d in (single, multi))
    for k in wa:
        torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=1e-5, msg=k)
    assert not (multi / "checkpoints").exists() or all(  # only rank 0 wrote
        p.name.startswith("ckpt-") for p in (multi / "checkpoints").iterdir()
    )
