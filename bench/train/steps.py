"""How many optimizer steps a run takes, and which pass over its images each step draws from.

An epoch is ``steps_per_epoch`` optimizer steps of ``batch_size`` images. With the recipe's
``epoch_length = "subset"`` (the default) that is one pass over the training images the run has,
the last partial batch dropped. With ``"full-set"`` (what the suite's ``constant-steps`` epoch
rule sets below fraction 1) an epoch is as many steps as one pass over the *whole* training set,
floor(N_full / batch), whatever the fraction: the run's subset is drawn pass after pass (each
pass a fresh seeded permutation, its last partial batch dropped, a pass running on across epoch
ends) until the steps are taken. So every fraction takes exactly epochs x floor(N_full / batch)
steps, and everything counted in epochs (warm-up, milestones, switch and softening epochs, the
history's entries) falls on the same steps at every fraction. Rounding epochs to round(E / f)
instead left the steps to floor(f N / batch), which dropped up to 17.5% of them (issue 20).

Plain arithmetic (no torch): the training core, its feeds and the cost estimate all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BenchError
from .recipe import Recipe

EPOCH_LENGTHS = ("subset", "full-set")


@dataclass(frozen=True)
class StepPlan:
    """A run's optimizer steps: ``epochs`` x ``steps_per_epoch``, drawn from passes of ``steps_per_pass`` batches."""

    epochs: int
    batch_size: int
    steps_per_epoch: int  # optimizer steps per epoch (what the LR schedule and switching count in)
    steps_per_pass: int  # batches in one pass over the run's training images

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def passes(self) -> float:
        """Passes over the run's training images (1 per epoch unless the epoch is the full set's)."""
        return self.total_steps / self.steps_per_pass


def batches_in(images: int, batch_size: int) -> int:
    """Full batches in one pass over ``images`` (at least 1: a set smaller than a batch is one short batch)."""
    return max(1, images // batch_size)


def step_plan(recipe: Recipe, train_size: int, full_train_size: int | None = None) -> StepPlan:
    """The steps a run of ``recipe`` takes on ``train_size`` images, a subset of ``full_train_size``
    (None: the run has the whole training set)."""
    full = train_size if full_train_size is None else int(full_train_size)
    if full < train_size:
        raise BenchError(f"training set of {full} images is smaller than its subset of {train_size}")
    per_pass = batches_in(train_size, recipe.batch_size)
    per_epoch = batches_in(full, recipe.batch_size) if recipe.epoch_length == "full-set" else per_pass
    return StepPlan(recipe.epochs, recipe.batch_size, per_epoch, per_pass)
