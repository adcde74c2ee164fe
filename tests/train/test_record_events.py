"""Issue 3 in the run record: switch events (layer, epoch, step) and per-layer diagnostics per epoch;
and a stop requested on another rank is honoured at an epoch's end by every rank alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from bench.data.types import DataBundle
from bench.records import RecordStore
from bench.runner import run_all
from bench.suite.hashing import content_hash
from bench.suite.plan import RunSpec
from bench.train import RunContext, core, train_run
from bench.train.checkpoint import decode, list_checkpoints
from bench.train.progress import Interrupted

CPU = torch.device("cpu")


def test_switch_events_and_diagnostics_reach_the_record(config: Callable[..., dict], tmp_path: Path) -> None:
    cfg = config(
        "reparam_vit_cpu_tiny",
        {"kind": "prs", "first": 0, "last": 1},
        optimizer="adamw",
        lr=1e-3,
        weight_decay=0.05,
    )
    spec = RunSpec(
        "s", 1, "smoke", "prs", 0, "synthetic-f1", cfg, content_hash({"suite": "s", "version": 1, "config": cfg})
    )
    store = RecordStore(tmp_path)
    assert run_all([spec], store, CPU, progress=False).ran == [spec.run_id]
    rec = store.read(spec.relpath)
    assert rec is not None and rec.model_stats is not None
    switches = [e for e in rec.events if e["event"] == "switch"]
    stats = rec.model_stats  # params and GFLOPs per image before the first and after the last switch
    assert set(stats) == {"params_start", "params_end", "gflops_start", "gflops_end"}
    assert stats["params_end"] > stats["params_start"] > 0 and stats["gflops_end"] > stats["gflops_start"] > 0
    spe = next(e for e in rec.events if e["event"] == "start")["steps_per_epoch"]
    layers = len(rec.history[0]["layers"])
    assert sorted(e["layer"] for e in switches) == list(range(layers))  # each layer once
    assert all(e["step"] == e["epoch"] * spe for e in switches)  # at its epoch's start
    assert {e["epoch"] for e in switches} == {0, 1}  # prs over epochs 0..1
    for h in rec.history:
        switched = {e["layer"] for e in switches if e["epoch"] < h["epoch"]}
        for d in h["layers"]:
            keys = {"layer", "phase", "soft", "gate", "locality", "pos_move", "pos_target_mass", "attn_distance"}
            assert set(d) == keys | {"grad"}
            if d["layer"] in switched:
                assert d["phase"] == "attention" and 0 < d["gate"] <= 1 and d["attn_distance"] > 0
                at = next(e["epoch"] for e in switches if e["layer"] == d["layer"])
                first, rms = d["grad"]["first"], d["grad"]["rms"]
                assert first["soft"] > 0 and first["gate"] > 0 and first["kernel"] > 0
                if h["epoch"] == at + 1:  # the switch epoch: gradients flowed every step
                    assert all(rms[k] > 0 for k in ("soft", "gate", "kernel")), rms
                if at == 0:  # switched before the first step: ConViT's GPSA at init, then trained
                    assert d["soft"] > 0.9 and d["pos_target_mass"] < 0.5
                else:  # exact at the switch; an epoch of learning moves it a little, nothing imposed
                    assert first["pos_proj"] == 0 and first["qk"] == 0  # multiplied by s = 0 and 1 - g = 0
                    assert 0 < d["soft"] < 0.5 and 0.5 < d["gate"] < 1 and d["pos_target_mass"] > 0.5
            else:
                assert d["phase"] == "conv" and all(d[k] is None for k in keys - {"layer", "phase"})


def test_a_stop_on_another_rank_is_agreed_at_the_epoch_end(
    config: Callable[..., dict], tiny_data: DataBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another rank got SIGTERM during this epoch's evaluation: every rank must checkpoint and stop now
    (a rank-local decision would send one rank into the checkpoint's gather and the other on training)."""
    evaluated = [False]
    real_evaluate = core.Run.evaluate

    def evaluate(self: Any) -> tuple[float, float]:
        evaluated[0] = True
        return real_evaluate(self)

    def all_reduce_sum(t: torch.Tensor, dist: Any) -> torch.Tensor:
        if evaluated[0] and t.shape == (2,):  # the (non-finite, stop) flags: the other rank says stop
            t[1] += 1
        return t

    monkeypatch.setattr(core.Run, "evaluate", evaluate)
    monkeypatch.setattr(core, "all_reduce_sum", all_reduce_sum)
    with pytest.raises(Interrupted):
        train_run(RunSpec.adhoc(config("resnet_tiny"), 0), tiny_data, RunContext(CPU, run_dir=tmp_path))
    newest = decode(list_checkpoints(tmp_path)[0].read_bytes())
    assert newest["position"] == {"epoch": 1, "step_in_epoch": 0, "global_step": 4, "applied_epoch": 0}
