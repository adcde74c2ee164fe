"""Switching inside models: logits unchanged, schedules, optimizer handling, resume, compile, training."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.optim import param_groups_weight_decay

from bench.models import create_model
from bench.models.reparam import (
    ReparamLayer,
    ablated,
    apply_schedule,
    force_soften_layers,
    layer_diagnostics,
    reparam_layers,
    reparam_state,
    restore_reparam_state,
    switch_layer,
)
from bench.models.reparam_attn import local_init_target_mass


def small_vit(**kw) -> nn.Module:
    return create_model("reparam_vit_cpu_tiny", num_classes=10, **{"depth": 4, "embed_dim": 32, **kw})


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize(
    "name,kw",
    [
        ("reparam_vit_cpu_tiny", {}),
        ("reparam_resnet_tiny", {}),
        ("reparam_resnet_tiny", {"reparam_stages": (2, 3, 4)}),
        ("reparam_vit_tiny_p4", {}),
    ],
)
@torch.no_grad()
def test_switch_leaves_logits_unchanged(name: str, kw: dict) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=10, **kw).eval()
    x = torch.randn(2, 3, 32, 32)
    ref = model(x)
    layers = reparam_layers(model)
    assert layers
    for i in reversed(range(len(layers))):  # one layer at a time, late layers first as PRS does
        switch_layer(model, i)
        if len(layers) <= 6 or i == 0:  # the 12-layer model: check once, all switched
            assert rel(model(x), ref) <= 1e-5, f"{name} after switching layer {i}"
    assert all(layer.phase == "attention" for layer in layers)


def fake_run(model: nn.Module, schedule: dict, epochs: int, steps_per_epoch: int = 3) -> dict[int, tuple[int, int]]:
    """The core's epoch loop without training: layer -> (epoch, step) of its switch."""
    seen, step = {}, 0
    for epoch in range(epochs):
        for ev in apply_schedule(model, schedule, epoch, epochs, None, step):
            assert set(ev) == {"event", "layer", "epoch", "step"} and ev["event"] == "switch"
            assert ev["layer"] not in seen
            seen[ev["layer"]] = (ev["epoch"], ev["step"])
        for i, layer in enumerate(reparam_layers(model)):  # the phase during this epoch
            expect = "attention" if i in seen else "conv"
            assert layer.phase == expect
        step += steps_per_epoch
    return seen


def chain(n: int) -> nn.Module:
    return nn.Sequential(*[ReparamLayer(nn.Conv2d(2, 2, 3, padding=1), layout="nchw") for _ in range(n)])


@pytest.mark.parametrize(
    "schedule,n,expected",
    [
        ({"kind": "never"}, 4, {}),
        ({"kind": "zero"}, 4, {0: 0, 1: 0, 2: 0, 3: 0}),
        ({"kind": "uniform", "epoch": 3}, 4, {0: 3, 1: 3, 2: 3, 3: 3}),
        # docs/METHOD.md section 4: e_l = e_last - (l-1)/(L-1) (e_last - e_first): last layer at e_first
        ({"kind": "prs", "first": 2, "last": 8}, 4, {0: 8, 1: 6, 2: 4, 3: 2}),
        ({"kind": "reversed", "first": 2, "last": 8}, 4, {0: 2, 1: 4, 2: 6, 3: 8}),
        ({"kind": "prs", "first": 1, "last": 6}, 6, {0: 6, 1: 5, 2: 4, 3: 3, 4: 2, 5: 1}),
        ({"kind": "prs", "first": 0, "last": 5}, 3, {0: 5, 1: 3, 2: 0}),  # 2.5 rounds half up
        ({"kind": "prs", "first": 4, "last": 4}, 3, {0: 4, 1: 4, 2: 4}),
        ({"kind": "prs", "first": 2, "last": 9}, 1, {0: 2}),
    ],
)
def test_schedule_switches_the_right_layers_at_the_right_epochs(schedule: dict, n: int, expected: dict) -> None:
    seen = fake_run(chain(n), schedule, epochs=10, steps_per_epoch=3)
    assert {i: e for i, (e, _) in seen.items()} == expected
    assert all(s == 3 * e for e, s in seen.values())


def test_zero_schedule_is_attention_before_the_first_step() -> None:
    model = small_vit()
    events = apply_schedule(model, {"kind": "zero"}, 0, 5, None, 0)
    assert [e["layer"] for e in events] == [0, 1, 2, 3] and all(e["step"] == 0 for e in events)
    assert [d["phase"] for d in layer_diagnostics(model)] == ["attention"] * 4


def test_zero_schedule_starts_as_convit_local_init() -> None:
    """Nothing learned to preserve at step 0: the layers start soft (ConViT's positional attention)."""
    model = small_vit()
    apply_schedule(model, {"kind": "zero"}, 0, 5, None, 0)
    model.eval()(torch.randn(1, 3, 32, 32))
    for d in layer_diagnostics(model):
        assert d["soft"] == 1.0 and d["gate"] == pytest.approx(0.7311, abs=1e-4) and d["locality"] == 1.0
        assert d["pos_move"] == 0.0
        assert d["pos_target_mass"] == pytest.approx(local_init_target_mass(1.0, 3, 8, 8))
        assert d["pos_target_mass"] < 0.5


def test_a_later_switch_starts_exact_and_nothing_imposes_a_change() -> None:
    """Without the ablation key the schedule never touches a switched layer: s stays 0 until training moves it."""
    model = small_vit()
    schedule, epochs, spe = {"kind": "prs", "first": 2, "last": 6}, 10, 4
    for epoch in range(epochs):
        apply_schedule(model, schedule, epoch, epochs, None, epoch * spe)
        for k in range(spe):
            force_soften_layers(model, schedule, epochs, epoch + k / spe)
    for layer in reparam_layers(model):
        assert layer.attn is not None and float(layer.attn.forced) == 0.0
        assert float(layer.attn.soft_share().max()) == 0.0 and float(layer.attn.gate_value().min()) == 1.0


def test_forced_softening_ablation_follows_each_layers_own_switch() -> None:
    """PRS over 4 layers (switches at epochs 6, 5, 3, 2), 2 epochs of imposed softening, 4 steps per epoch."""
    model = small_vit()
    schedule, epochs, spe = {"kind": "prs", "first": 2, "last": 6, "force_soften_epochs": 2}, 10, 4
    seen: dict[float, list] = {}
    for epoch in range(epochs):
        apply_schedule(model, schedule, epoch, epochs, None, epoch * spe)
        for k in range(spe):
            force_soften_layers(model, schedule, epochs, epoch + k / spe)
            seen[epoch + k / spe] = [None if la.attn is None else float(la.attn.forced) for la in reparam_layers(model)]
    switch = {0: 6, 1: 5, 2: 3, 3: 2}
    for layer, s in switch.items():
        assert seen[s - 0.25][layer] is None and seen[s][layer] == 0.0  # exact at its switch
        assert seen[s + 1][layer] == pytest.approx(0.5)  # linear halfway
        assert seen[s + 2][layer] == seen[9.75][layer] == 1.0  # held at the end
        trace = [seen[t][layer] for t in sorted(seen) if t >= s]
        assert all(b >= a for a, b in zip(trace, trace[1:]))


@pytest.mark.parametrize(
    "schedule,named",
    [
        ({"kind": "sometimes"}, "'sometimes'"),
        ({"kind": "never", "force_soften_epochs": 2}, "'force_soften_epochs'"),
        ({"kind": "zero", "force_soften_epochs": 0}, "force_soften_epochs"),
        ({"kind": "uniform", "epoch": 2, "soften_epochs": 2}, "'soften_epochs'.*force_soften_epochs"),
        ({"kind": "zero", "locality_end": 2.0}, "'locality_end': removed"),
        ({"kind": "uniform", "epoch": 10}, "epoch=10"),
        ({"kind": "prs", "first": 3, "last": 12}, "last=12"),
        ({"kind": "prs", "first": 5, "last": 2}, "first=5"),
    ],
)
def test_bad_schedule_raises_naming_the_value(schedule: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        apply_schedule(chain(2), schedule, 0, 10, None, 0)


def test_plain_model_needs_never() -> None:
    model = create_model("resnet_tiny", num_classes=10)
    assert reparam_layers(model) == [] and layer_diagnostics(model) == []
    assert apply_schedule(model, {"kind": "never"}, 0, 5, None, 0) == []
    with pytest.raises(ValueError, match="'prs'.*no switchable layers"):
        apply_schedule(model, {"kind": "prs", "first": 1, "last": 3}, 0, 5, None, 0)


def names_per_group(model: nn.Module, opt: torch.optim.Optimizer) -> list[list[str]]:
    name = {id(p): n for n, p in model.named_parameters()}
    return [[name[id(p)] for p in g["params"]] for g in opt.param_groups]


def test_optimizer_keeps_kernel_state_and_gets_new_params() -> None:
    torch.manual_seed(0)
    model = small_vit()
    opt = torch.optim.SGD(
        param_groups_weight_decay(model, 0.05, no_weight_decay_list=model.no_weight_decay()), lr=0.1, momentum=0.9
    )
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    F.cross_entropy(model(x), y).backward()
    opt.step()
    layer = reparam_layers(model)[2]
    kernel, buf = layer.conv.weight, opt.state[layer.conv.weight]["momentum_buffer"].clone()
    switch_layer(model, 2, opt)
    attn = layer.attn
    assert attn.weight is kernel and torch.equal(opt.state[kernel]["momentum_buffer"], buf)
    groups = names_per_group(model, opt)
    flat = [n for g in groups for n in g]
    assert sorted(flat) == sorted(n for n, _ in model.named_parameters())  # each param exactly once
    assert len(opt.param_groups) == 2
    no_decay, decay = groups  # timm order: no-decay first
    assert "blocks.2.mixer.attn.gate" in no_decay and "blocks.2.mixer.attn.soft" in no_decay
    assert "blocks.2.mixer.attn.qk.weight" in decay
    # positional vectors stay out of weight decay (as timm keeps position embeddings out)
    assert "blocks.2.mixer.attn.pos_proj.weight" in no_decay and "blocks.2.mixer.attn.weight" in decay
    assert opt.param_groups[0]["weight_decay"] == 0
    # a fresh optimizer on the restored model lists the params in the same order (resume lines up)
    fresh = small_vit()
    restore_reparam_state(fresh, reparam_state(model))
    rebuilt = param_groups_weight_decay(fresh, 0.05, no_weight_decay_list=fresh.no_weight_decay())
    assert names_per_group(fresh, torch.optim.SGD(rebuilt, lr=0.1)) == groups
    F.cross_entropy(model(x), y).backward()
    opt.step()  # the new params train
    assert opt.state[attn.gate] and opt.state[attn.soft] and opt.state[attn.qk.weight]


def test_resume_rebuilds_structure_before_load_state_dict() -> None:
    torch.manual_seed(0)
    model = small_vit().eval()
    switch_layer(model, 3)
    switch_layer(model, 1)
    with torch.no_grad():
        for layer in reparam_layers(model):
            if layer.attn is not None:
                layer.attn.gate.sub_(0.3)
                layer.attn.soft.add_(0.4)
                layer.attn.pos_proj.weight.mul_(1.5)
    state = reparam_state(model)
    assert state == {"phases": ["conv", "attention", "conv", "attention"]}
    fresh = small_vit().eval()
    restore_reparam_state(fresh, state)
    fresh.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(fresh(x), model(x))
    with pytest.raises(ValueError, match="3 layers"):
        restore_reparam_state(small_vit(), {"phases": ["conv"] * 3})


def test_diagnostics_per_layer() -> None:
    model = small_vit()
    switch_layer(model, 3)
    model.eval()(torch.randn(2, 3, 32, 32))
    diag = layer_diagnostics(model)
    assert [d["phase"] for d in diag] == ["conv"] * 3 + ["attention"]
    keys = {"layer", "phase", "soft", "gate", "locality", "pos_move", "pos_target_mass", "attn_distance", "grad"}
    assert all(set(d) == keys for d in diag)
    assert all(diag[0][k] is None for k in keys - {"layer", "phase"})
    # exactly the convolution at the switch: all positional mass on the kernel offset, mean distance 4/3
    # over the 3x3 window (4 offsets at 1, 4 at sqrt(2), 1 at 0: (4 + 4 sqrt 2) / 9) for inside targets
    assert diag[3]["soft"] == 0.0 and diag[3]["gate"] == 1.0 and diag[3]["pos_move"] == 0.0
    assert diag[3]["pos_target_mass"] == 1.0
    assert diag[3]["attn_distance"] == pytest.approx((4 + 4 * 2**0.5) / 9, rel=1e-5)


def test_switch_under_torch_compile() -> None:
    """Dynamo traces both phases and recompiles at the switch (aot_eager: no C++ build in tests)."""
    torch.manual_seed(0)
    model = small_vit(depth=2)
    compiled = torch.compile(model, backend="aot_eager")
    x, y = torch.randn(2, 3, 32, 32), torch.randint(0, 10, (2,))
    before = compiled(x)
    F.cross_entropy(before, y).backward()
    switch_layer(model, 1)
    after = compiled(x)
    assert rel(after.detach(), before.detach()) <= 1e-5
    F.cross_entropy(after, y).backward()
    assert reparam_layers(compiled)[1].attn.gate.grad is not None


def test_forced_softening_reaches_a_compiled_model() -> None:
    """The imposed share is a buffer: a compiled graph reads the new value (no stale constant)."""
    torch.manual_seed(0)
    model = small_vit(depth=1).eval()
    compiled = torch.compile(model, backend="aot_eager")
    x = torch.randn(2, 3, 32, 32)
    switch_layer(model, 0)
    with torch.no_grad():
        exact = compiled(x)
        reparam_layers(model)[0].attn.force_soft(1.0)
        soft, eager = compiled(x), model(x)
    assert rel(soft, exact) > 1e-3 and rel(soft, eager) <= 1e-6


def test_training_across_a_switch_keeps_loss_finite_and_decreasing() -> None:
    """A tiny learnable task; PRS switches the 4 layers over epochs 1-3; the loss is continuous at each switch."""
    torch.manual_seed(0)
    model = small_vit(patch_size=8)  # 4x4 tokens keep it at a second or two
    protos = torch.randn(4, 3, 32, 32)
    y = torch.arange(64) % 4
    x = protos[y] + 0.5 * torch.randn(64, 3, 32, 32)
    opt = torch.optim.AdamW(param_groups_weight_decay(model, 0.05), lr=2e-3)
    schedule, epochs, step, losses, events = {"kind": "prs", "first": 1, "last": 3}, 4, 0, [], []
    probe = x[:16]
    for epoch in range(epochs):
        model.eval()
        with torch.no_grad():
            pre = model(probe)
        new = apply_schedule(model, schedule, epoch, epochs, opt, step)
        events += new
        with torch.no_grad():
            assert rel(model(probe), pre) <= 1e-5
        model.train()
        epoch_losses = []
        for i in range(0, 64, 16):
            loss = F.cross_entropy(model(x[i : i + 16]), y[i : i + 16])
            assert torch.isfinite(loss)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            epoch_losses.append(loss.item())
        losses.append(sum(epoch_losses) / len(epoch_losses))
    # e_l = 3 - l * 2/3 -> 3, 2.33, 1.67, 1 -> rounded 3, 2, 2, 1
    assert [(e["layer"], e["epoch"]) for e in events] == [(3, 1), (1, 2), (2, 2), (0, 3)]
    assert losses[-1] < losses[0] and losses[-1] < losses[1], losses
    assert [d["phase"] for d in layer_diagnostics(model)] == ["attention"] * 4


def test_switch_with_a_foreign_optimizer_leaves_the_model_unswitched() -> None:
    model = create_model("reparam_vit_cpu_tiny", num_classes=4)
    other = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="reparam layer 0: its conv weight is not in the optimizer"):
        switch_layer(model, 0, other)
    assert reparam_layers(model)[0].phase == "conv"


def test_kernels_learn_at_a_ninth_and_new_matrices_do_not() -> None:
    """The core's optimizer puts the 3x3 kernels in their own group (lr_scale 1/9, still decayed);
    a switch sends q/k to the plain decayed group, positional vectors, soft shares and gates to the no-decay one;
    the checkpoint layout keeps the scale."""
    from bench.train.optim import LRSchedule, build_optimizer, group_layout
    from bench.train.recipe import Recipe

    model = small_vit()
    recipe = Recipe.from_dict({"optimizer": "adamw", "lr": 1e-3, "weight_decay": 0.05, "epochs": 2, "batch_size": 8})
    opt = build_optimizer(model, recipe)
    kernel_group = next(
        g for g in opt.param_groups if any(p is reparam_layers(model)[0].conv.weight for p in g["params"])
    )
    assert kernel_group["lr_scale"] == pytest.approx(1 / 9) and kernel_group["weight_decay"] == 0.05
    assert len(kernel_group["params"]) == 4  # the four kernels, nothing else
    switch_layer(model, 1, opt)
    attn = reparam_layers(model)[1].attn
    group_of = {id(p): g for g in opt.param_groups for p in g["params"]}
    assert group_of[id(attn.weight)] is kernel_group
    assert group_of[id(attn.qk.weight)].get("lr_scale", 1.0) == 1.0 and group_of[id(attn.qk.weight)]["weight_decay"]
    assert all(group_of[id(p)]["weight_decay"] == 0 for p in (attn.pos_proj.weight, attn.soft, attn.gate))
    LRSchedule(recipe, 10).apply(opt, 5)
    assert kernel_group["lr"] == pytest.approx(group_of[id(attn.qk.weight)]["lr"] / 9)
    layout = group_layout(model, opt)
    rebuilt = build_optimizer(model, recipe, groups=layout)
    assert [g.get("lr_scale") for g in rebuilt.param_groups] == [g.get("lr_scale") for g in opt.param_groups]


def test_ablations_take_away_what_was_learned_and_restore_it() -> None:
    """content_off sets every gate to 1, as_conv also the soft shares to 0 (the kernel's convolution again);
    both leave the model exactly as it was afterwards."""
    torch.manual_seed(0)
    model = small_vit().eval()
    x = torch.randn(2, 3, 32, 32)
    conv_logits = model(x)
    for i in range(4):
        switch_layer(model, i)
    with torch.no_grad():
        for layer in reparam_layers(model):
            layer.attn.gate.fill_(0.6)
            layer.attn.soft.fill_(0.5)
            layer.attn.qk.weight.normal_(std=0.3)
        layer.attn.force_soft(0.25)
    trained = model(x)
    with ablated(model, "content_off") as n:
        assert n == 4 and all(float(la.attn.gate_value().min()) == 1.0 for la in reparam_layers(model))
        content_off = model(x)
    with ablated(model, "as_conv"):
        assert rel(model(x), conv_logits) <= 1e-5
    assert rel(content_off, trained) > 1e-3
    assert torch.equal(model(x), trained) and float(layer.attn.forced) == 0.25
    with pytest.raises(ValueError, match="unknown ablation 'heads_off'"), ablated(model, "heads_off"):
        pass
