"""Recipe keys are data: defaults filled, unknown keys and bad values rejected by name."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path

import pytest
import torch

from bench.errors import BenchError
from bench.models import create_model
from bench.schema import validate_table
from bench.suite import load_suites, plan_runs
from bench.train.optim import LRSchedule, build_optimizer
from bench.train.recipe import AUGMENT_KEYS, RANDAUGMENT_KEYS, RECIPE_KEYS, Augment, RandAugment, Recipe

MIN = {"optimizer": "sgd", "lr": 0.1, "epochs": 10, "batch_size": 8}


def test_defaults_are_filled() -> None:
    r = Recipe.from_dict(MIN)
    assert r.momentum == 0.9 and r.lr_schedule == "cosine" and r.grad_clip == 0.0
    assert r.augment.crop_pad == 0 and r.augment.randaugment is None and not r.augment.mixes
    assert r.to_dict()["augment"]["randaugment"] is False
    ra = Recipe.from_dict({**MIN, "augment": {"randaugment": True}}).augment.randaugment
    assert ra == RandAugment(num_ops=2, magnitude=9, magnitude_std=0.5, prob=0.5, increasing=True)


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
        Recipe.from_dict(recipe)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_warmup_then_cosine() -> None:
    r = Recipe.from_dict({**MIN, "warmup_epochs": 2, "min_lr": 0.001})
    s = LRSchedule(r, steps_per_epoch=10)
    assert s.lr_at(0) == pytest.approx(0.1 / 20) and s.lr_at(19) == pytest.approx(0.1)
    assert s.lr_at(20) == pytest.approx(0.1)
    assert s.lr_at(99) == pytest.approx(0.001 + 0.099 * 0.5 * (1 + math.cos(math.pi * 79 / 80)))
    assert all(s.lr_at(i) >= s.lr_at(i + 1) for i in range(20, 99))


def test_step_schedule_is_the_cnn_recipe() -> None:
    """docs/METHOD.md section 7: steps at 60/120/160, x0.2."""
    r = Recipe.from_dict(
        {**MIN, "epochs": 200, "lr_schedule": "step", "lr_milestones": [60, 120, 160], "lr_gamma": 0.2}
    )
    s = LRSchedule(r, steps_per_epoch=5)
    got = [s.lr_at(e * 5) for e in (0, 59, 60, 119, 120, 160, 199)]
    assert got == pytest.approx([0.1, 0.1, 0.02, 0.02, 0.004, 0.0008, 0.0008])


def test_schedule_reaches_groups_added_later() -> None:
    model = torch.nn.Linear(2, 2)
    r = Recipe.from_dict(MIN)
    opt = build_optimizer(model, r)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))]})
    LRSchedule(r, 10).apply(opt, 50)
    assert len({g["lr"] for g in opt.param_groups}) == 1


def test_no_weight_decay_on_norms_biases_positions() -> None:
    model = create_model("vit_tiny", num_classes=10)
    opt = build_optimizer(model, Recipe.from_dict({**MIN, "optimizer": "adamw", "weight_decay": 0.05}))
    name_of = {id(p): n for n, p in model.named_parameters()}
    decay = {name_of[id(p)] for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    no_decay = {name_of[id(p)] for g in opt.param_groups if g["weight_decay"] == 0 for p in g["params"]}
    assert {"pos_embed", "cls_token", "norm.weight", "head.bias", "blocks.0.norm1.weight"} <= no_decay
    assert {"head.weight", "blocks.0.attn.qkv.weight", "patch_embed.proj.weight"} <= decay
    assert len(decay | no_decay) == len(list(model.parameters()))


def _as_before(recipe: dict) -> dict:
    """The resolved dict the core used before ``Recipe`` (the validated tables, defaults filled)."""
    out = validate_table(None, "", recipe, RECIPE_KEYS, noun="recipe key")
    out["augment"] = validate_table(None, "augment.", out["augment"], AUGMENT_KEYS, noun="recipe key")
    ra = out["augment"]["randaugment"]
    if ra is not False:
        given = {} if ra is True else ra
        out["augment"]["randaugment"] = validate_table(
            None, "augment.randaugment.", given, RANDAUGMENT_KEYS, noun="recipe key"
        )
    return out


def test_to_dict_is_the_resolved_table_of_every_shipped_recipe(suites_dir: Path) -> None:
    """Field for field and in key order: the typed recipe carries exactly what the key tables resolve."""
    assert [f.name for f in fields(Recipe)] == list(RECIPE_KEYS)
    assert [f.name for f in fields(Augment)] == list(AUGMENT_KEYS)
    assert [f.name for f in fields(RandAugment)] == list(RANDAUGMENT_KEYS)
    seen = set()
    for suite in load_suites(suites_dir=suites_dir):
        for tier in suite.tiers:
            for spec in plan_runs(suite, tier, seeds=[0]):
                raw = json.dumps(spec.config["recipe"], sort_keys=True)
                if raw in seen:
                    continue
                seen.add(raw)
                recipe = Recipe.from_dict(spec.config["recipe"])
                assert json.dumps(recipe.to_dict()) == json.dumps(_as_before(spec.config["recipe"]))
                assert Recipe.from_dict(recipe.to_dict()) == recipe
    assert len(seen) > 5
