"""Issue 11's acceptance test: after a switch and its softening window the switched layers are attention.

A small reparameterizable ViT trained with the core's optimizer (AdamW, weight decay 0.05, timm's
no-decay group): at the switch the logits move at most 1e-5 (relative); after the window the
positional vectors get a gradient at least 1e-3 of the content branch's, move more by their
gradient than by weight decay, and every switched layer's mass on its own kernel offset is at or
below what the end strength implies (the layer has left the convolution).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bench.models import create_model
from bench.models.reparam import apply_schedule, layer_diagnostics, reparam_layers, soften_layers
from bench.models.reparam_attn import local_init_target_mass
from bench.train.optim import build_optimizer
from bench.train.recipe import Recipe

EPOCHS, STEPS, SWITCH, SOFTEN = 4, 4, 1, 2
SCHEDULE = {"kind": "uniform", "epoch": SWITCH, "soften_epochs": SOFTEN, "locality_end": 1.0}


def norm(tensors: list[torch.Tensor]) -> float:
    return float(torch.stack([t.norm() for t in tensors]).norm())


def test_after_the_softening_window_the_layers_are_attention() -> None:
    torch.manual_seed(0)
    model = create_model("reparam_vit_cpu_tiny", num_classes=4, embed_dim=36, depth=2)
    recipe = Recipe.from_dict(
        {"optimizer": "adamw", "lr": 2e-3, "weight_decay": 0.05, "epochs": EPOCHS, "batch_size": 16}
    )
    opt = build_optimizer(model, recipe)
    protos = torch.randn(4, 3, 32, 32)
    y = torch.arange(16 * STEPS) % 4
    x = protos[y] + 0.5 * torch.randn(len(y), 3, 32, 32)
    probe = x[:8]
    last: dict[str, float] = {}
    for epoch in range(EPOCHS):
        model.eval()
        with torch.no_grad():
            before = model(probe)
            events = apply_schedule(model, SCHEDULE, epoch, EPOCHS, opt, epoch * STEPS)
            after = model(probe)
        assert bool(events) == (epoch == SWITCH)
        if events:  # (other epoch starts take one softening step, like any step in the window)
            assert float((after - before).norm() / before.norm()) <= 1e-5, "the switch changed the logits"
        model.train()
        for k in range(STEPS):
            soften_layers(model, SCHEDULE, EPOCHS, epoch + k / STEPS)
            xb, yb = x[16 * k : 16 * (k + 1)], y[16 * k : 16 * (k + 1)]
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            attns = [layer.attn for layer in reparam_layers(model) if layer.attn is not None]
            pos = [a.pos_proj.weight for a in attns]
            snapshot = [p.detach().clone() for p in pos]
            opt.step()
            if epoch >= SWITCH + SOFTEN:  # after the window: measure every step of the last epoch
                content = [t.grad for a in attns for t in (a.qk.weight, a.v.weight, a.proj.weight)]
                wd = next(g for g in opt.param_groups if any(q is pos[0] for q in g["params"]))["weight_decay"]
                lr = opt.param_groups[0]["lr"]
                decay_step = [lr * wd * p0 for p0 in snapshot]
                grad_step = [p.detach() - p0 + d for p, p0, d in zip(pos, snapshot, decay_step)]
                last = {
                    "grad_ratio": norm([p.grad for p in pos]) / norm(content),
                    "grad_step": norm(grad_step),
                    "decay_step": norm(decay_step),
                }
                assert last["grad_ratio"] >= 1e-3, last
                assert last["grad_step"] > last["decay_step"], last
    model.eval()
    with torch.no_grad():
        model(probe)
    implied = local_init_target_mass(1.0, 3, 8, 8)
    for d in layer_diagnostics(model):
        assert d["phase"] == "attention" and d["locality"] == 1.0
        assert d["pos_target_mass"] <= implied + 1e-3, (d, implied)
