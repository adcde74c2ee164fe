"""The data-scale epoch rule: how long a tier trains a fraction f of the training set.

- ``constant-epochs``: every fraction trains the tier's epochs of one pass over its own images,
  so a fraction f takes f times the steps of the full set (fewer images, fewer steps);
- ``constant-steps``: ConViT's protocol (docs/METHOD.md section 6): every fraction takes exactly
  the steps of the full set. A fraction below 1 gets ``recipe.epoch_length = "full-set"``: its
  epochs keep the tier's count, each as many optimizer steps as one pass over the whole training
  set, drawn from the subset pass after pass (``bench/train/steps.py``). Warm-up, milestones,
  switch epochs (and the ablation's forced-softening epochs) are left as written, so they fall on the same steps at every
  fraction, and so do the history's epochs. (Suite v4 and older trained round(epochs / f) passes
  instead, which took up to 17.5% fewer steps: the last partial batch of each pass is dropped.)

Applied where a tier's config is resolved (``Suite.resolve``), so it enters the config hash.
At fraction 1 both rules train alike, and the config is left as it is.
"""

from __future__ import annotations

import copy
from typing import Any

EPOCH_RULES = ("constant-epochs", "constant-steps")
DEFAULT_RULE = "constant-epochs"


def apply_epoch_rule(config: dict[str, Any], rule: str, fraction: float) -> dict[str, Any]:
    """A copy of ``config`` whose epochs are the full set's under ``constant-steps`` (fraction < 1)."""
    if rule not in EPOCH_RULES:
        raise ValueError(f"unknown epoch rule {rule!r}; choose one of: {', '.join(EPOCH_RULES)}")
    if rule == "constant-epochs" or fraction == 1.0:
        return config
    out = copy.deepcopy(config)
    out["recipe"]["epoch_length"] = "full-set"
    return out
