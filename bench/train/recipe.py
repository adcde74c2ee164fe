"""The recipe keys the training core understands, as data: default, check, meaning.

A suite pins the whole recipe (docs/METHOD.md section 7: recipe changes swing a ViT on CIFAR-100 by 30
points), so an unknown or mistyped key is an error naming the key, never silently ignored.
``resolve_recipe`` returns a plain dict with every default filled in.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from ..errors import BenchError

Check = Callable[[Any], bool]
REQUIRED = object()  # marker: the key has no default


def _num(lo: float = float("-inf"), hi: float = float("inf"), open_lo: bool = False, open_hi: bool = False) -> Check:
    """A finite number in [lo, hi] (or an open end: ``open_lo`` excludes lo, ``open_hi`` excludes hi)."""
    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        return (lo < v if open_lo else lo <= v) and (v < hi if open_hi else v <= hi)
    return check


def _pos_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _nonneg_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _one_of(*choices: str) -> Check:
    return lambda v: v in choices


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _int_list(v: Any) -> bool:
    return isinstance(v, list) and all(_nonneg_int(x) for x in v)


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(_num(0, 1)(x) for x in v)


# timm's RandAugment config string, as keys: the defaults are rand-m9-mstd0.5-inc1 (DeiT/ConViT)
RANDAUGMENT_KEYS: dict[str, tuple[Any, Check, str]] = {
    "num_ops": (2, _pos_int, "a positive integer (ops per image: timm's n)"),
    "magnitude": (9, _num(0, 10), "a number in 0..10 (timm's m)"),
    "magnitude_std": (0.5, _num(0), "a number >= 0 (timm's mstd: Gaussian noise on the magnitude; > 100 = uniform)"),
    "prob": (0.5, _num(0, 1), "a probability (timm's p: each drawn op is applied with it)"),
    "increasing": (True, _bool, "true or false (timm's inc: the op list whose strength rises with magnitude)"),
}


def _randaugment(v: Any) -> bool:
    return isinstance(v, bool) or (isinstance(v, dict) and set(v) <= set(RANDAUGMENT_KEYS))


# key -> (default, check, what the value must be)
AUGMENT_KEYS: dict[str, tuple[Any, Check, str]] = {
    "crop_pad": (0, _nonneg_int, "a non-negative integer (pixels of zero padding before a random crop)"),
    "flip": (False, _bool, "true or false (random horizontal flip)"),
    "randaugment": (False, _randaugment, "false, true, or a table with keys num_ops, magnitude, magnitude_std, prob, increasing"),
    "mixup": (0.0, _num(0), "a mixup alpha >= 0 (0 = off)"),
    "cutmix": (0.0, _num(0), "a cutmix alpha >= 0 (0 = off)"),
    "mix_prob": (1.0, _num(0, 1), "a probability"),
    "mix_switch_prob": (0.5, _num(0, 1), "a probability (cutmix instead of mixup when both are on)"),
    "random_erasing": (0.0, _num(0, 1), "an erasing probability (0 = off)"),
    "erasing_mode": ("pixel", _one_of("const", "rand", "pixel"), "'const', 'rand' or 'pixel'"),
}

RECIPE_KEYS: dict[str, tuple[Any, Check, str]] = {
    "optimizer": (REQUIRED, _one_of("sgd", "adamw"), "'sgd' or 'adamw'"),
    "lr": (REQUIRED, _num(0, open_lo=True), "a finite learning rate > 0"),
    "epochs": (REQUIRED, lambda v: _pos_int(v) and v <= 100_000, "an integer in 1..100000"),
    "batch_size": (REQUIRED, _pos_int, "a positive integer (the global batch over all ranks)"),
    "momentum": (0.9, _num(0, 1), "a number in [0, 1]"),
    "nesterov": (False, _bool, "true or false"),
    "betas": ([0.9, 0.999], _pair, "a list of two numbers in [0, 1]"),
    "eps": (1e-8, _num(0, open_lo=True), "a number > 0"),
    "weight_decay": (0.0, _num(0), "a number >= 0 (not applied to norms, biases, position embeddings; GPSA pos_proj weights decay, as in timm ConViT)"),
    "lr_schedule": ("cosine", _one_of("cosine", "step", "constant"), "'cosine', 'step' or 'constant'"),
    "warmup_epochs": (0, _num(0), "a number of epochs >= 0 (linear warm-up, per step)"),
    "min_lr": (0.0, _num(0), "the cosine schedule's final learning rate"),
    "lr_milestones": ([], _int_list, "a list of epochs at which the step schedule multiplies by lr_gamma"),
    "lr_gamma": (0.1, _num(0, 1), "a factor in [0, 1]"),
    "label_smoothing": (0.0, _num(0, 1, open_hi=True), "a number in [0, 1)"),
    "grad_clip": (0.0, _num(0), "a max gradient norm (0 = off)"),
    "drop_path": (0.0, _num(0, 1, open_hi=True), "a stochastic-depth rate in [0, 1), passed to the model as drop_path_rate"),
    "augment": ({}, lambda v: isinstance(v, dict), "a table of augmentation keys"),
}


def _fill(where: str, given: dict[str, Any], schema: dict[str, tuple[Any, Check, str]]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(schema))
    if unknown:
        raise BenchError(f"recipe key '{where}{unknown[0]}' is unknown to the training core "
                         f"(known: {', '.join(sorted(schema))})")
    out: dict[str, Any] = {}
    for key, (default, check, what) in schema.items():
        if key not in given:
            if default is REQUIRED:
                raise BenchError(f"recipe key '{where}{key}' is missing: must be {what}")
            out[key] = copy.deepcopy(default)
            continue
        if not check(given[key]):
            raise BenchError(f"recipe key '{where}{key}' must be {what}, got {given[key]!r}")
        out[key] = copy.deepcopy(given[key])
    return out


def resolve_recipe(recipe: dict[str, Any]) -> dict[str, Any]:
    """Every key checked and every default filled; raises BenchError naming the first bad key."""
    out = _fill("", recipe, RECIPE_KEYS)
    out["augment"] = _fill("augment.", out["augment"], AUGMENT_KEYS)
    ra = out["augment"]["randaugment"]
    if ra is not False:
        given = {} if ra is True else ra
        out["augment"]["randaugment"] = _fill("augment.randaugment.", given, RANDAUGMENT_KEYS)
    if (out["augment"]["mixup"] or out["augment"]["cutmix"]) and out["batch_size"] % 2:
        raise BenchError(f"recipe key 'batch_size' must be even with mixup/cutmix, got {out['batch_size']}")
    return out
