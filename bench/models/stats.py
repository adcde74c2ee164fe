"""Model size for the record: parameter count and forward FLOPs per image (``model_stats``).

A switch adds parameters (the content branch) and FLOPs (attention over the token grid), so a
record carries both before the first switch and after the last one; the leaderboard shows them
next to every accuracy so that a capacity difference is never hidden behind a schedule.
FLOPs are torch's own count (``torch.utils.flop_counter.FlopCounterMode``: matmuls, convolutions
and attention; elementwise ops and softmax are not counted), one forward of one image in eval mode.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def forward_gflops(model: nn.Module, image_size: int, device: torch.device | None = None) -> float:
    """GFLOPs of one eval-mode forward of one ``image_size`` x ``image_size`` RGB image."""
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False)
        with counter:
            model(torch.zeros(1, 3, image_size, image_size, device=device))
    finally:
        model.train(was_training)
    return counter.get_total_flops() / 1e9


def size_stats(model: nn.Module, image_size: int, device: torch.device | None = None) -> dict[str, float]:
    """``{"params": int, "gflops": float}`` of the model as it is now."""
    return {"params": count_params(model), "gflops": forward_gflops(model, image_size, device)}
