"""The CUDA code path, forced on the CPU: torch.compile (inductor), bf16 autocast, channels_last and
fused optimizers (``CoreOptions(defaults="cuda")``), through reparameterization switches, for every
model family, on tiny models (the plain ResNet is covered by the reparameterized one, a plain CNN
until its switch).

Checked per family: the run completes with finite losses; dynamo compiles graphs in the first epoch,
none in later epochs without a switch, and no more than the first epoch's count in each switch epoch
(the engine resets dynamo and rebuilds its wrappers there: one recompile per switch epoch); and the
compiled run matches the same run in eager mode (same bf16/channels_last/fused settings) within
``LOSS_TOL`` per epoch. The tolerance covers inductor keeping fused intermediates in fp32 where
eager rounds each bf16 op; measured differences on these runs are far below it.

Cost: inductor compiles C++ kernels with gcc, which dominates: 16 minutes for five families on a cold
cache on 2 cores shared by 8 busy users, seconds each once inductor's on-disk cache is warm. The kernels are compiled at -O0 here (``TORCHINDUCTOR_DEBUG_COMPILE``, the only
effect of which is gcc's flags): the generated code, graphs, guards and recompiles are the same.
Inductor's on-disk cache makes repeated runs take seconds.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from bench.suite.plan import RunSpec
from bench.train import CoreOptions, RunContext, train_run

from .conftest import make_config

LOSS_TOL = 0.05  # absolute, per-epoch train and test loss (losses here are ~2.3)
EPOCHS = 3

# family -> (model, kwargs shrinking it, optimizer, schedule); the reparam families switch mid-run
FAMILIES: dict[str, tuple[str, dict[str, Any], str, dict[str, Any] | None]] = {
    "deit": ("vit_tiny", {"depth": 1, "embed_dim": 24, "num_heads": 2}, "adamw", None),
    "convit": ("convit_cpu_tiny", {"width": 24, "depth": 2, "num_heads": 2, "local_up_to_layer": 1}, "adamw", None),
    "reparam_vit": (
        "reparam_vit_cpu_tiny",
        {"embed_dim": 18, "depth": 2},
        "adamw",
        {"kind": "prs", "first": 1, "last": 2},
    ),  # layers switch at epochs 1 and 2
    "reparam_resnet": ("reparam_resnet_tiny", {}, "sgd", {"kind": "uniform", "epoch": 1}),
}
SLOW = {"convit", "reparam_vit", "reparam_resnet"}  # 2-7 minutes each on a cold inductor cache and busy cores


def run(family: str, data: Any, compile: bool) -> Any:
    model, kwargs, optimizer, schedule = FAMILIES[family]
    lr = 0.05 if optimizer == "sgd" else 1e-3
    cfg = make_config(model, schedule, epochs=EPOCHS, optimizer=optimizer, lr=lr)
    cfg["model"]["kwargs"] = kwargs
    opts = CoreOptions(defaults="cuda", compile=compile, checkpoint_every=0)
    return train_run(RunSpec.adhoc(cfg, 0), data, RunContext(torch.device("cpu"), opts))


@pytest.mark.parametrize("family", [pytest.param(f, marks=[pytest.mark.slow] if f in SLOW else []) for f in FAMILIES])
def test_gpu_defaults_on_cpu_compile_switch_match_eager(
    family: str, tiny_data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHINDUCTOR_DEBUG_COMPILE", "1")
    compiled = run(family, tiny_data, compile=True)
    assert compiled.status == "complete", compiled.error
    start = next(e for e in compiled.events if e["event"] == "start")
    assert start["engine"] == {"compile": True, "precision": "bf16", "channels_last": True, "fused": True}
    hist = compiled.history
    assert len(hist) == EPOCHS
    for h in hist:
        assert math.isfinite(h["train_loss"]) and math.isfinite(h["test_loss"])

    switch_epochs = {e["epoch"] for e in compiled.events if e["event"] == "switch"}
    if FAMILIES[family][3] is not None:
        assert switch_epochs and 0 not in switch_epochs
    graphs = [h["compiled_graphs"] for h in hist]
    assert graphs[0] >= 2, graphs  # the train step and evaluation
    for epoch, n in enumerate(graphs[1:], start=1):
        if epoch in switch_epochs:
            assert 1 <= n <= graphs[0], (epoch, graphs)  # recompiled once for the new structure
        else:
            assert n == 0, (epoch, graphs)  # no recompile without a switch

    eager = run(family, tiny_data, compile=False)
    assert eager.status == "complete"
    assert not any("compiled_graphs" in h for h in eager.history)
    for c, e in zip(hist, eager.history):
        for key in ("train_loss", "test_loss"):
            assert abs(c[key] - e[key]) <= LOSS_TOL, (family, key, c[key], e[key])
