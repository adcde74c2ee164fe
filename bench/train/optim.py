"""Optimizers with weight-decay groups, and the per-step learning-rate schedule.

The schedule is a pure function of the global step (no torch LR scheduler): the
reparameterization adds parameter groups mid-run (``apply_schedule``), and a torch scheduler
keeps one base LR per group it saw at construction, so it would leave new groups unscheduled.
Here every group gets ``lr(step) * group.get("lr_scale", 1)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import torch
import torch.nn as nn
from timm.optim import param_groups_weight_decay

from .recipe import Recipe

# parameters that never get weight decay, besides 1-d ones (norm weights, biases, gates)
NO_DECAY_NAMES = re.compile(r"(^|\.)(pos_embed|cls_token|dist_token|reg_token|rel_pos\w*|relative_position\w*)$")


def no_decay_names(model: nn.Module) -> set[str]:
    """Positional parameters: the model's own list (timm's ``no_weight_decay``) plus name patterns."""
    own = set(getattr(model, "no_weight_decay", lambda: set())())
    return own | {n for n, _ in model.named_parameters() if NO_DECAY_NAMES.search(n)}


def _sgd(groups: list[dict[str, Any]], recipe: Recipe, fused: bool) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        groups,
        lr=recipe.lr,
        momentum=recipe.momentum,
        nesterov=recipe.nesterov,
        weight_decay=recipe.weight_decay,
        **({"fused": True} if fused else {}),
    )


def _adamw(groups: list[dict[str, Any]], recipe: Recipe, fused: bool) -> torch.optim.Optimizer:
    return torch.optim.AdamW(
        groups,
        lr=recipe.lr,
        betas=recipe.betas,
        eps=recipe.eps,
        weight_decay=recipe.weight_decay,
        **({"fused": True} if fused else {}),
    )


# the optimizer-level weight decay only reaches groups added later without their own value
OPTIMIZERS: dict[str, Callable[[list[dict[str, Any]], Recipe, bool], torch.optim.Optimizer]] = {
    "sgd": _sgd,
    "adamw": _adamw,
}


def build_optimizer(
    model: nn.Module, recipe: Recipe, fused: bool = False, groups: list[dict[str, Any]] | None = None
) -> torch.optim.Optimizer:
    """Two groups (decay / no decay) unless ``groups`` (names per group, from a checkpoint) is given.

    ``groups``: ``[{"names": [...], **hyper}]`` rebuilds the exact group layout a resumed run had,
    including groups the reparameterization added, so ``load_state_dict`` lines up.
    """
    if groups is None:
        param_groups = param_groups_weight_decay(model, recipe.weight_decay, no_weight_decay_list=no_decay_names(model))
        param_groups = split_lr_scales(model, param_groups)
    else:
        named = dict(model.named_parameters())
        param_groups = [
            {**{k: v for k, v in g.items() if k != "names"}, "params": [named[n] for n in g["names"]]} for g in groups
        ]
    return OPTIMIZERS[recipe.optimizer](param_groups, recipe, fused)


def split_lr_scales(model: nn.Module, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parameters the model names in ``param_lr_scales()`` (name -> factor) move to their own groups
    with ``lr_scale`` (appended after the others); e.g. the reparam ViT's 3x3 kernels learn at 1/9."""
    scales: dict[str, float] = dict(getattr(model, "param_lr_scales", dict)())
    if not scales:
        return groups
    by_id = {id(p): scales[n] for n, p in model.named_parameters() if n in scales and scales[n] != 1.0}
    out: list[dict[str, Any]] = []
    extra: dict[tuple[Any, float], dict[str, Any]] = {}
    for g in groups:
        keep = [p for p in g["params"] if id(p) not in by_id]
        for p in g["params"]:
            if id(p) in by_id:
                key = (g.get("weight_decay"), by_id[id(p)])
                extra.setdefault(
                    key, {**{k: v for k, v in g.items() if k != "params"}, "lr_scale": key[1], "params": []}
                )["params"].append(p)
        out.append({**g, "params": keep})
    return out + list(extra.values())


def group_layout(model: nn.Module, opt: torch.optim.Optimizer) -> list[dict[str, Any]]:
    """Parameter names per optimizer group (and the group's weight decay and lr scale), for checkpoints."""
    name_of = {id(p): n for n, p in model.named_parameters()}
    return [
        {
            "names": [name_of[id(p)] for p in g["params"]],
            "weight_decay": g.get("weight_decay", 0.0),
            **({"lr_scale": g["lr_scale"]} if "lr_scale" in g else {}),
        }
        for g in opt.param_groups
    ]


# each schedule: (recipe, steps since warm-up, steps after warm-up, steps per epoch, global step) -> lr factor
def _cosine(recipe: Recipe, t: int, span: int, steps_per_epoch: int, step: int) -> float:
    floor = recipe.min_lr / recipe.lr if recipe.lr > 0 else 0.0  # lr = 0 is refused at load; never divide by it
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t / max(1, span)))


def _step(recipe: Recipe, t: int, span: int, steps_per_epoch: int, step: int) -> float:
    epoch = step // steps_per_epoch
    return recipe.lr_gamma ** sum(1 for m in recipe.lr_milestones if epoch >= m)


def _constant(recipe: Recipe, t: int, span: int, steps_per_epoch: int, step: int) -> float:
    return 1.0


LR_SCHEDULES: dict[str, Callable[[Recipe, int, int, int, int], float]] = {
    "cosine": _cosine,
    "step": _step,
    "constant": _constant,
}


class LRSchedule:
    """Linear warm-up then cosine/step/constant, evaluated per optimizer step."""

    def __init__(self, recipe: Recipe, steps_per_epoch: int) -> None:
        self.recipe = recipe
        self.steps_per_epoch = steps_per_epoch
        self.total = recipe.epochs * steps_per_epoch
        self.warm = round(recipe.warmup_epochs * steps_per_epoch)
        self.last_step = -1

    def lr_at(self, step: int) -> float:
        r = self.recipe
        if step < self.warm:
            return r.lr * (step + 1) / self.warm
        factor = LR_SCHEDULES[r.lr_schedule](r, step - self.warm, self.total - self.warm, self.steps_per_epoch, step)
        return r.lr * factor

    def apply(self, opt: torch.optim.Optimizer, step: int) -> float:
        lr = self.lr_at(step)
        for g in opt.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        self.last_step = step
        return lr

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.recipe.lr_schedule, "last_step": self.last_step, "steps_per_epoch": self.steps_per_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_step = int(state["last_step"])
