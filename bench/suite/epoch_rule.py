"""The data-scale epoch rule: how many epochs a tier trains a fraction f of the training set.

- ``constant-epochs``: every fraction trains the tier's epochs, so a fraction f takes f times the
  steps of the full set (fewer images, fewer steps);
- ``constant-steps``: ConViT's protocol (docs/METHOD.md section 6): a fraction f trains
  round(epochs / f) epochs, so every fraction takes the same number of optimizer steps. Every
  quantity counted in epochs scales alike (warm-up, step milestones, switch and forced-softening epochs
  of a schedule), so each fraction follows the same schedule in steps.

Applied where a tier's config is resolved (``Suite.resolve``), so the epochs a run trains enter
its config hash.
"""

from __future__ import annotations

import copy
from typing import Any

EPOCH_RULES = ("constant-epochs", "constant-steps")
DEFAULT_RULE = "constant-epochs"
SCHEDULE_EPOCH_KEYS = ("epoch", "first", "last", "force_soften_epochs")


def scale(epochs: int | float, fraction: float) -> int:
    return max(1, round(epochs / fraction))


def apply_epoch_rule(config: dict[str, Any], rule: str, fraction: float) -> dict[str, Any]:
    """A copy of ``config`` with its epoch counts scaled by 1 / ``fraction`` under ``constant-steps``."""
    if rule not in EPOCH_RULES:
        raise ValueError(f"unknown epoch rule {rule!r}; choose one of: {', '.join(EPOCH_RULES)}")
    if rule == "constant-epochs" or fraction == 1.0:
        return config
    out = copy.deepcopy(config)
    recipe = out["recipe"]
    recipe["epochs"] = scale(recipe["epochs"], fraction)
    if recipe.get("warmup_epochs"):
        recipe["warmup_epochs"] = scale(recipe["warmup_epochs"], fraction)
    if recipe.get("lr_milestones"):
        recipe["lr_milestones"] = [scale(m, fraction) for m in recipe["lr_milestones"]]
    sched = out["schedule"]
    for key in SCHEDULE_EPOCH_KEYS:
        if isinstance(sched.get(key), int) and not isinstance(sched.get(key), bool):
            sched[key] = round(sched[key] / fraction) if key != "force_soften_epochs" else scale(sched[key], fraction)
    return out


def describe(rule: str) -> str:
    return "epochs / f (same steps)" if rule == "constant-steps" else "same epochs"
