"""Switching convolutions into self-attention during training: the API the training core calls.

``ReparamLayer`` wraps a stride-1 convolution; ``switch()`` replaces it, once, by the
function-preserving ``ReparamGPSA`` (see ``reparam_attn``). The core calls, at the start of every
epoch, ``apply_schedule(model, schedule, epoch, epochs, optimizer, step)``; it switches every layer
whose switch epoch (``schedules.switch_epochs``) has come.

Optimizer handling at a switch (no new param groups, nothing removed):
* the kernel and bias *are* the convolution's Parameters (shared), so they stay in their groups
  with their optimizer state (momentum, Adam moments): training continues without a jolt;
* the new parameters (soft share, gate, positional vectors, q/k) join existing groups with fresh
  state: the q/k weight the group of the conv weight; the positional vectors, soft shares and
  gates (kept out of weight decay, as timm keeps position embeddings out: decay would pull the
  shares towards a fixed point instead of where the gradients take them) and q/k biases the first
  group without weight decay, else the group of the conv bias, else the weight's group. Each is inserted in model
  parameter order, so an optimizer built from ``model.named_parameters()`` after
  ``restore_reparam_state`` lines up (``no_decay_names`` lists the positional ones).

A layer switched before the first training step (``zero``, or a PRS layer at epoch 0) has nothing
learned to preserve and starts as ConViT's positional attention (``ReparamGPSA.start_soft``).

Forced softening, an ablation only: ``force_soften_layers(model, schedule, epochs, position)``
(the core calls it before every step) imposes each switched layer's soft share from
``schedules.forced_softening``; a no-op for schedules without ``force_soften_epochs``.

torch.compile: ``ReparamLayer.forward`` branches on the phase, so dynamo guards on it and
recompiles the graph once after a switch (a few seconds per switch event on CPU); no other
recompilation happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn as nn

from .reparam_attn import GRAD_BUFFERS, ReparamGPSA, check_convertible, conv_to_attention
from .schedules import forced_softening, switch_epochs

__all__ = [
    "ABLATIONS",
    "ReparamGPSA",
    "ReparamLayer",
    "ablated",
    "apply_schedule",
    "conv_to_attention",
    "force_soften_layers",
    "layer_diagnostics",
    "no_decay_names",
    "reparam_layers",
    "reparam_state",
    "restore_reparam_state",
]

NO_DECAY = ("pos_proj.weight", "soft", "gate")  # per ReparamGPSA: positional vectors, soft shares and gates

LAYOUTS = ("tokens", "nchw")


class ReparamLayer(nn.Module):
    """A convolution until ``switch()``, gated positional self-attention after (same function).

    ``layout="tokens"``: ``forward(x, hw)`` with x (B, h*w, C); ``layout="nchw"``: ``forward(x)``.
    ``attn_kwargs`` go to ``conv_to_attention`` (locality_strength, head_dim, qkv_bias, content).
    """

    def __init__(self, conv: nn.Conv2d, layout: str = "tokens", **attn_kwargs: Any) -> None:
        super().__init__()
        check_convertible(conv)
        if layout not in LAYOUTS:
            raise ValueError(f"ReparamLayer layout must be one of {LAYOUTS}, got {layout!r}")
        self.layout = layout
        self.attn_kwargs = attn_kwargs
        self.conv: nn.Conv2d | None = conv
        self.attn: ReparamGPSA | None = None
        self.forced: float | None = None  # last imposed soft share (the ablation), to skip no-ops

    @property
    def phase(self) -> str:
        return "conv" if self.attn is None else "attention"

    def switch(self) -> ReparamGPSA:
        if self.attn is not None:
            raise RuntimeError("layer is already attention")
        assert self.conv is not None
        self.attn = conv_to_attention(self.conv, share=True, **self.attn_kwargs)
        self.attn.train(self.training)
        self.conv = None
        return self.attn

    def forward(self, x: torch.Tensor, hw: tuple[int, int] | None = None) -> torch.Tensor:
        if self.layout == "nchw":
            if self.attn is None:
                assert self.conv is not None
                return self.conv(x)
            B, C, H, W = x.shape
            y = self.attn(x.flatten(2).transpose(1, 2), (H, W))
            return y.transpose(1, 2).reshape(B, -1, H, W)
        if self.attn is not None:
            return self.attn(x, hw)
        assert self.conv is not None and hw is not None
        B, _, C = x.shape
        y = self.conv(x.transpose(1, 2).reshape(B, C, hw[0], hw[1]))
        return y.flatten(2).transpose(1, 2)

    def extra_repr(self) -> str:
        return f"layout={self.layout!r}, phase={self.phase!r}"


def reparam_layers(model: nn.Module) -> list[ReparamLayer]:
    """The switchable layers, input side first ([] for plain models)."""
    return [m for m in model.modules() if isinstance(m, ReparamLayer)]


def _group_index(opt: torch.optim.Optimizer, p: torch.Tensor) -> int | None:
    for gi, g in enumerate(opt.param_groups):
        if any(q is p for q in g["params"]):
            return gi
    return None


def _add_to_optimizer(
    model: nn.Module, opt: torch.optim.Optimizer, conv: nn.Conv2d, attn: ReparamGPSA, layer_index: int
) -> None:
    kernel_group = _group_index(opt, conv.weight)
    if kernel_group is None:
        raise ValueError(f"reparam layer {layer_index}: its conv weight is not in the optimizer")
    # new matrices: the kernel's weight decay but not its lr scale (a scaled kernel group holds kernels only)
    decay = opt.param_groups[kernel_group].get("weight_decay", 0.0)
    weight_group = next(
        (
            gi
            for gi, g in enumerate(opt.param_groups)
            if g.get("weight_decay", 0.0) == decay and g.get("lr_scale", 1.0) == 1.0
        ),
        kernel_group,
    )
    bias_group = None if conv.bias is None else _group_index(opt, conv.bias)
    if bias_group is None:
        one_d = {id(p) for p in model.parameters() if p.ndim <= 1}
        bias_group = next(
            (gi for gi, g in enumerate(opt.param_groups) if any(id(q) in one_d for q in g["params"])), weight_group
        )
    mine = {id(q) for q in model.parameters()}
    no_decay_group = next(
        (
            gi
            for gi, g in enumerate(opt.param_groups)
            if not g.get("weight_decay", 0.0)
            and g.get("lr_scale", 1.0) == 1.0
            and any(id(q) in mine for q in g["params"])
        ),
        bias_group,
    )
    old = {id(p) for p in conv.parameters()}
    new = [p for p in attn.parameters() if id(p) not in old]
    positional = {id(p) for n, p in attn.named_parameters() if n in NO_DECAY}
    order = {id(p): i for i, p in enumerate(model.parameters())}
    for p in new:
        gi = no_decay_group if (id(p) in positional or p.ndim <= 1) else weight_group
        params = opt.param_groups[gi]["params"]
        rank = order[id(p)]
        at = next((j for j, q in enumerate(params) if order.get(id(q), -1) > rank), len(params))
        params.insert(at, p)


def switch_layer(model: nn.Module, index: int, optimizer: torch.optim.Optimizer | None = None) -> None:
    """Switch layer ``index`` of ``model`` and hand its new parameters to ``optimizer``."""
    layer = reparam_layers(model)[index]
    conv = layer.conv
    if conv is None:
        raise RuntimeError(f"reparam layer {index} is already attention")
    if optimizer is not None and _group_index(optimizer, conv.weight) is None:  # check before changing the model
        raise ValueError(f"reparam layer {index}: its conv weight is not in the optimizer")
    attn = layer.switch()
    if optimizer is not None:
        _add_to_optimizer(model, optimizer, conv, attn, index)


def apply_schedule(
    model: nn.Module,
    schedule: dict[str, Any],
    epoch: int,
    epochs: int,
    optimizer: torch.optim.Optimizer | None,
    step: int,
) -> list[dict[str, Any]]:
    """Call at the start of every epoch (0-based): switch the layers whose time has come.

    A layer switched at step 0 starts soft (nothing learned to preserve). Returns one event per
    switched layer: ``{"event": "switch", "layer": i, "epoch": e, "step": s}``.
    """
    layers = reparam_layers(model)
    plan = switch_epochs(schedule, len(layers), epochs)
    if schedule.get("kind") != "never" and not layers:
        raise ValueError(
            f"schedule {schedule.get('kind')!r} needs a reparameterizable model, "
            f"but {type(model).__name__} has no switchable layers"
        )
    events = []
    for i, (layer, at) in enumerate(zip(layers, plan)):
        if at is not None and at <= epoch and layer.phase == "conv":
            switch_layer(model, i, optimizer)
            if step == 0:
                attn = layer.attn
                assert attn is not None
                attn.start_soft()
            events.append({"event": "switch", "layer": i, "epoch": epoch, "step": step})
    _force_soften(layers, schedule, plan, float(epoch))
    return events


def force_soften_layers(model: nn.Module, schedule: dict[str, Any], epochs: int, position: float) -> None:
    """The forced-softening ablation: impose every switched layer's soft share at ``position``.

    ``position``: epochs, fractional (epoch + step/steps_per_epoch). A no-op unless the schedule has
    ``force_soften_epochs``; cheap enough to call before every step (buffers change only when the value does).
    """
    if "force_soften_epochs" in schedule:
        layers = reparam_layers(model)
        _force_soften(layers, schedule, switch_epochs(schedule, len(layers), epochs), position)


def _force_soften(
    layers: list[ReparamLayer], schedule: dict[str, Any], plan: list[int | None], position: float
) -> None:
    for layer, at in zip(layers, plan):
        if layer.attn is None:
            continue
        share = forced_softening(schedule, at, position)
        if share is not None and share != layer.forced:
            layer.attn.force_soft(share)
            layer.forced = share


def reparam_state(model: nn.Module, monitor: bool = False) -> dict[str, Any]:
    """What ``restore_reparam_state`` needs to rebuild the structure before ``load_state_dict``.

    ``monitor``: also each switched layer's gradient monitor (the epoch's running sums), which a
    resume checkpoint carries so that a resumed epoch reports the gradients of all its steps; the
    final weights' sidecar does not need it.
    """
    layers = reparam_layers(model)
    out: dict[str, Any] = {"phases": [layer.phase for layer in layers]}
    if monitor:
        out["grad_monitor"] = [
            None if la.attn is None else {k: getattr(la.attn, k).detach().cpu().clone() for k in GRAD_BUFFERS}
            for la in layers
        ]
    return out


def restore_reparam_state(model: nn.Module, state: dict[str, Any]) -> None:
    """Switch the layers that were attention (weights come from the following ``load_state_dict``)."""
    layers, phases = reparam_layers(model), list(state.get("phases", []))
    if len(phases) != len(layers):
        raise ValueError(f"reparam state has {len(phases)} layers, the model has {len(layers)}")
    for i, (layer, phase) in enumerate(zip(layers, phases)):
        if phase not in ("conv", "attention"):
            raise ValueError(f"reparam state layer {i}: unknown phase {phase!r}")
        if phase == "attention" and layer.phase == "conv":
            layer.switch()
        elif phase == "conv" and layer.phase == "attention":
            raise ValueError(f"reparam state layer {i} is conv but the model's layer is already attention")
    for layer, saved in zip(layers, state.get("grad_monitor") or []):
        if saved is not None and layer.attn is not None:
            for k in GRAD_BUFFERS:
                getattr(layer.attn, k).copy_(saved[k])


def layer_diagnostics(model: nn.Module, reset_grads: bool = False) -> list[dict[str, Any]]:
    """Per layer: ``{layer, phase, soft, gate, locality, pos_move, pos_target_mass, attn_distance, grad}``.

    All None in the conv phase; after the switch ``ReparamGPSA.diagnostics``: the learned soft share
    and gate, the soft map's learned locality, how far the positional vectors moved from their
    local init, the positional mass on each head's own offset (1.0 = the convolution) and the gated
    map's mean attended distance (the last two from the last eval-mode forward; None before it;
    the core evaluates before it reads them). ``grad``: ``ReparamGPSA.grad_stats`` (gradient norms of
    the soft shares, gates, positional vectors, q/k and kernel at the first backward after the switch
    and their RMS since the last reset; ``reset_grads`` starts a new window, as the core does per epoch).
    """
    keys = ("soft", "gate", "locality", "pos_move", "pos_target_mass", "attn_distance", "grad")
    out = []
    for i, layer in enumerate(reparam_layers(model)):
        d: dict[str, Any] = dict.fromkeys(keys)
        if layer.attn is not None:
            d.update(layer.attn.diagnostics())
            d["grad"] = layer.attn.grad_stats()
            if reset_grads:
                layer.attn.reset_grad_stats()
        out.append({"layer": i, "phase": layer.phase, **d})
    return out


def no_decay_names(model: nn.Module) -> set[str]:
    """Parameter names of the switched layers' positional vectors, soft shares and gates (out of weight decay)."""
    names = set()
    for name, m in model.named_modules():
        if isinstance(m, ReparamGPSA):
            names |= {f"{name}.{n}" for n, _ in m.named_parameters() if n in NO_DECAY}
    return names


ABLATIONS = ("content_off", "as_conv")


@contextmanager
def ablated(model: nn.Module, ablation: str) -> Iterator[int]:
    """Evaluate a trained model with part of what its switched layers learned taken away, then restore it.

    ``content_off``: every gate at 1 (content attention removed, the learned positional attention kept);
    ``as_conv``: gates at 1 and soft shares (learned and imposed) at 0, i.e. each switched layer is
    again the convolution of its current kernel. Yields the number of switched layers (0: no-op).
    """
    if ablation not in ABLATIONS:
        raise ValueError(f"unknown ablation {ablation!r}; choose one of {ABLATIONS}")
    attns = [layer.attn for layer in reparam_layers(model) if layer.attn is not None]
    saved = [{k: v.detach().clone() for k, v in a.named_parameters() if k in ("soft", "gate")} for a in attns]
    forced = [a.forced.detach().clone() for a in attns]
    try:
        with torch.no_grad():
            for a in attns:
                if a.gate is not None:
                    a.gate.fill_(1.0)
                if ablation == "as_conv":
                    a.soft.fill_(0.0)
                    a.forced.fill_(0.0)
        yield len(attns)
    finally:
        with torch.no_grad():
            for a, params, f in zip(attns, saved, forced):
                for k, v in params.items():
                    a.get_parameter(k).copy_(v)
                a.forced.copy_(f)
