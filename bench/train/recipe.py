"""The recipe keys the training core understands, as data: default, check, meaning.

A suite pins the whole recipe (docs/METHOD.md section 7: recipe changes swing a ViT on CIFAR-100 by 30
points), so an unknown or mistyped key is an error naming the key, never silently ignored.
``Recipe.from_dict`` checks a suite's recipe table against these keys and returns a frozen ``Recipe``
with every default filled in; ``to_dict`` gives the plain data back. The config a run is hashed
and recorded with keeps the suite's table as written: the resolved recipe is what the core runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import BenchError
from ..schema import Key, is_bool, is_nonneg_int, is_pos_int, is_table, num_in, one_of, validate_table


def _int_list(v: Any) -> bool:
    return isinstance(v, list) and all(is_nonneg_int(x) for x in v)


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(num_in(0, 1)(x) for x in v)


# timm's RandAugment config string, as keys: the defaults are rand-m9-mstd0.5-inc1 (DeiT/ConViT)
RANDAUGMENT_KEYS: dict[str, Key] = {
    "num_ops": Key(False, is_pos_int, "a positive integer (ops per image: timm's n)", 2),
    "magnitude": Key(False, num_in(0, 10), "a number in 0..10 (timm's m)", 9),
    "magnitude_std": Key(
        False, num_in(0), "a number >= 0 (timm's mstd: Gaussian noise on the magnitude; > 100 = uniform)", 0.5
    ),
    "prob": Key(False, num_in(0, 1), "a probability (timm's p: each drawn op is applied with it)", 0.5),
    "increasing": Key(
        False, is_bool, "true or false (timm's inc: the op list whose strength rises with magnitude)", True
    ),
}


def _randaugment(v: Any) -> bool:
    return isinstance(v, bool) or (isinstance(v, dict) and set(v) <= set(RANDAUGMENT_KEYS))


# key -> Key(required, check, what the value must be, default)
AUGMENT_KEYS: dict[str, Key] = {
    "crop_pad": Key(False, is_nonneg_int, "a non-negative integer (pixels of zero padding before a random crop)", 0),
    "flip": Key(False, is_bool, "true or false (random horizontal flip)", False),
    "randaugment": Key(
        False,
        _randaugment,
        "false, true, or a table with keys num_ops, magnitude, magnitude_std, prob, increasing",
        False,
    ),
    "mixup": Key(False, num_in(0), "a mixup alpha >= 0 (0 = off)", 0.0),
    "cutmix": Key(False, num_in(0), "a cutmix alpha >= 0 (0 = off)", 0.0),
    "mix_prob": Key(False, num_in(0, 1), "a probability", 1.0),
    "mix_switch_prob": Key(False, num_in(0, 1), "a probability (cutmix instead of mixup when both are on)", 0.5),
    "random_erasing": Key(False, num_in(0, 1), "an erasing probability (0 = off)", 0.0),
    "erasing_mode": Key(False, one_of("const", "rand", "pixel"), "'const', 'rand' or 'pixel'", "pixel"),
}

RECIPE_KEYS: dict[str, Key] = {
    "optimizer": Key(True, one_of("sgd", "adamw"), "'sgd' or 'adamw'"),
    "lr": Key(True, num_in(0, open_lo=True), "a finite learning rate > 0"),
    "epochs": Key(True, lambda v: is_pos_int(v) and v <= 100_000, "an integer in 1..100000"),
    "batch_size": Key(True, is_pos_int, "a positive integer (the global batch over all ranks)"),
    "momentum": Key(False, num_in(0, 1), "a number in [0, 1]", 0.9),
    "nesterov": Key(False, is_bool, "true or false", False),
    "betas": Key(False, _pair, "a list of two numbers in [0, 1]", [0.9, 0.999]),
    "eps": Key(False, num_in(0, open_lo=True), "a number > 0", 1e-8),
    "weight_decay": Key(
        False,
        num_in(0),
        "a number >= 0 (not applied to norms, biases, position embeddings; GPSA pos_proj weights decay, as in timm ConViT)",
        0.0,
    ),
    "lr_schedule": Key(False, one_of("cosine", "step", "constant"), "'cosine', 'step' or 'constant'", "cosine"),
    "warmup_epochs": Key(False, num_in(0), "a number of epochs >= 0 (linear warm-up, per step)", 0),
    "min_lr": Key(False, num_in(0), "the cosine schedule's final learning rate", 0.0),
    "lr_milestones": Key(False, _int_list, "a list of epochs at which the step schedule multiplies by lr_gamma", []),
    "lr_gamma": Key(False, num_in(0, 1), "a factor in [0, 1]", 0.1),
    "label_smoothing": Key(False, num_in(0, 1, open_hi=True), "a number in [0, 1)", 0.0),
    "grad_clip": Key(False, num_in(0), "a max gradient norm (0 = off)", 0.0),
    "drop_path": Key(
        False,
        num_in(0, 1, open_hi=True),
        "a stochastic-depth rate in [0, 1), passed to the model as drop_path_rate",
        0.0,
    ),
    "seed_offset": Key(
        False,
        lambda v: is_nonneg_int(v) and v <= 1_000_000,
        "an integer in 0..1000000 added to every seed the run draws from (a twin arm that differs only in its seeds)",
        0,
    ),
    "eval_every": Key(
        False,
        lambda v: is_pos_int(v) and v <= 100_000,
        "an integer in 1..100000: evaluate on the test split every N epochs and after the last "
        "(many short epochs, e.g. 64 images under constant-steps, would otherwise spend most of their time evaluating)",
        1,
    ),
    "epoch_length": Key(
        False,
        one_of("subset", "full-set"),
        "'subset' (an epoch is one pass over the run's training images) or 'full-set' (as many steps as one "
        "pass over the whole training set, the subset drawn pass after pass: the constant-steps epoch rule)",
        "subset",
    ),
    "augment": Key(False, is_table, "a table of augmentation keys", {}),
}


# keys that only one choice reads: (the choosing key, the value that reads it); under another choice
# the key has no effect on training (``Recipe.effective``)
READ_ONLY_UNDER: dict[str, tuple[str, str]] = {
    "momentum": ("optimizer", "sgd"),
    "nesterov": ("optimizer", "sgd"),
    "betas": ("optimizer", "adamw"),
    "eps": ("optimizer", "adamw"),
    "min_lr": ("lr_schedule", "cosine"),
    "lr_milestones": ("lr_schedule", "step"),
    "lr_gamma": ("lr_schedule", "step"),
}


def _fill(where: str, given: dict[str, Any], schema: dict[str, Key]) -> dict[str, Any]:
    return validate_table(None, where, given, schema, noun="recipe key")


@dataclass(frozen=True)
class RandAugment:
    """timm's ``rand-m{magnitude}-mstd{magnitude_std}-inc{increasing}`` with ``num_ops`` ops, each applied with ``prob``."""

    num_ops: int
    magnitude: float
    magnitude_std: float
    prob: float
    increasing: bool


@dataclass(frozen=True)
class Augment:
    """The training augmentation (``bench.train.augment``); ``randaugment`` None is off."""

    crop_pad: int
    flip: bool
    randaugment: RandAugment | None
    mixup: float
    cutmix: float
    mix_prob: float
    mix_switch_prob: float
    random_erasing: float
    erasing_mode: str

    @property
    def mixes(self) -> bool:
        """Mixup or cutmix is on: targets are soft and the batch pairs images."""
        return bool(self.mixup or self.cutmix)


@dataclass(frozen=True)
class Recipe:
    """A validated recipe with every default filled (fields in ``RECIPE_KEYS`` order)."""

    optimizer: str
    lr: float
    epochs: int
    batch_size: int
    momentum: float
    nesterov: bool
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    lr_schedule: str
    warmup_epochs: float
    min_lr: float
    lr_milestones: tuple[int, ...]
    lr_gamma: float
    label_smoothing: float
    grad_clip: float
    drop_path: float
    seed_offset: int
    eval_every: int
    epoch_length: str
    augment: Augment

    @classmethod
    def from_dict(cls, recipe: dict[str, Any]) -> Recipe:
        """Every key checked and every default filled; raises BenchError naming the first bad key."""
        out = _fill("", recipe, RECIPE_KEYS)
        aug = _fill("augment.", out["augment"], AUGMENT_KEYS)
        ra = aug["randaugment"]
        if ra is not False:
            ra = RandAugment(**_fill("augment.randaugment.", {} if ra is True else ra, RANDAUGMENT_KEYS))
        if (aug["mixup"] or aug["cutmix"]) and out["batch_size"] % 2:
            raise BenchError(f"recipe key 'batch_size' must be even with mixup/cutmix, got {out['batch_size']}")
        augment = Augment(**{**aug, "randaugment": ra or None})
        return cls(
            **{**out, "betas": tuple(out["betas"]), "lr_milestones": tuple(out["lr_milestones"]), "augment": augment}
        )

    def effective(self) -> Recipe:
        """This recipe with the keys its optimizer and schedule never read reset to their defaults.

        Two recipes with equal ``effective()`` train alike (e.g. a cosine recipe that still names
        step milestones), which is how equal trainings across suites are found; the config hash
        keeps the suite's table as written."""
        unread = {
            k: RECIPE_KEYS[k].default
            for k, (choice, value) in READ_ONLY_UNDER.items()
            if getattr(self, choice) != value
        }
        return Recipe.from_dict({**self.to_dict(), **unread})

    def to_dict(self) -> dict[str, Any]:
        """The resolved recipe as plain JSON data: lists for sequences, ``randaugment`` false when off."""
        out = asdict(self)
        out["betas"], out["lr_milestones"] = list(self.betas), list(self.lr_milestones)
        if self.augment.randaugment is None:
            out["augment"]["randaugment"] = False
        return out
