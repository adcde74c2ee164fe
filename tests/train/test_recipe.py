"""Recipe keys are data: defaults filled, unknown keys and bad values rejected by name."""

from __future__ import annotations

import math

import pytest
import torch

from bench.errors import BenchError
from bench.models import create_model
from bench.train.optim import LRSchedule, build_optimizer
from bench.train.recipe import resolve_recipe

MIN = {"optimizer": "sgd", "lr": 0.1, "epochs": 10, "batch_size": 8}


def test_defaults_are_filled() -> None:
    r = resolve_recipe(MIN)
    assert r["momentum"] == 0.9 and r["lr_schedule"] == "cosine" and r["grad_clip"] == 0.0
    assert r["augment"]["crop_pad"] == 0 and r["augment"]["randaugment"] is False
    ra = resolve_recipe({**MIN, "augment": {"randaugment": True}})["augment"]["randaugment"]
    assert ra == {"num_ops": 2, "magnitude": 9, "magnitude_std": 0.5, "prob": 0.5, "increasing": True}


@pytest.mark.parametrize(
    "recipe, needle",
    [
        ({**MIN, "lr_sched": "cosine"}, "unknown recipe key 'lr_sched'"),
        ({**MIN, "augment": {"flips": True}}, "unknown recipe key 'augment.flips'"),
        ({**MIN, "augment": {"randaugment": {"ops": 2}}}, "augment.randaugment"),
        ({**MIN, "optimizer": "lamb"}, "'optimizer' must be 'sgd' or 'adamw'"),
        ({**MIN, "lr_schedule": "poly"}, "'lr_schedule'"),
        ({**MIN, "epochs": 0}, "'epochs' must be an integer in 1..100000"),
        ({**MIN, "epochs": 10**20}, "'epochs' must be an integer in 1..100000"),
        ({**MIN, "lr": 0}, "'lr' must be a finite learning rate > 0"),
        ({**MIN, "lr": float("inf")}, "'lr' must be a finite learning rate > 0"),
        ({**MIN, "label_smoothing": 1.0}, "'label_smoothing' must be a number in [0, 1)"),
        ({k: v for k, v in MIN.items() if k != "lr"}, "missing recipe key 'lr'"),
        ({**MIN, "batch_size": 7, "augment": {"mixup": 0.8}}, "must be even"),
        ({**MIN, "label_smoothing": "0.1"}, "'label_smoothing'"),
    ],
)
def test_bad_recipes_name_the_key(recipe: dict, needle: str) -> None:
    with pytest.raises(BenchError, match=None) as exc:
        resolve_recipe(recipe)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_warmup_then_cosine() -> None:
    r = resolve_recipe({**MIN, "warmup_epochs": 2, "min_lr": 0.001})
    s = LRSchedule(r, steps_per_epoch=10)
    assert s.lr_at(0) == pytest.approx(0.1 / 20) and s.lr_at(19) == pytest.approx(0.1)
    assert s.lr_at(20) == pytest.approx(0.1)
    assert s.lr_at(99) == pytest.approx(0.001 + 0.099 * 0.5 * (1 + math.cos(math.pi * 79 / 80)))
    assert all(s.lr_at(i) >= s.lr_at(i + 1) for i in range(20, 99))


def test_step_schedule_is_the_cnn_recipe() -> None:
    """docs/METHOD.md section 7: steps at 60/120/160, x0.2."""
    r = resolve_recipe({**MIN, "epochs": 200, "lr_schedule": "step", "lr_milestones": [60, 120, 160], "lr_gamma": 0.2})
    s = LRSchedule(r, steps_per_epoch=5)
    got = [s.lr_at(e * 5) for e in (0, 59, 60, 119, 120, 160, 199)]
    assert got == pytest.approx([0.1, 0.1, 0.02, 0.02, 0.004, 0.0008, 0.0008])


def test_schedule_reaches_groups_added_later() -> None:
    model = torch.nn.Linear(2, 2)
    r = resolve_recipe(MIN)
    opt = build_optimizer(model, r)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))]})
    LRSchedule(r, 10).apply(opt, 50)
    assert len({g["lr"] for g in opt.param_groups}) == 1


def test_no_weight_decay_on_norms_biases_positions() -> None:
    model = create_model("vit_tiny", num_classes=10)
    opt = build_optimizer(model, resolve_recipe({**MIN, "optimizer": "adamw", "weight_decay": 0.05}))
    name_of = {id(p): n for n, p in model.named_parameters()}
    decay = {name_of[id(p)] for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    no_decay = {name_of[id(p)] for g in opt.param_groups if g["weight_decay"] == 0 for p in g["params"]}
    assert {"pos_embed", "cls_token", "norm.weight", "head.bias", "blocks.0.norm1.weight"} <= no_decay
    assert {"head.weight", "blocks.0.attn.qkv.weight", "patch_embed.proj.weight"} <= decay
    assert len(decay | no_decay) == len(list(model.parameters()))
