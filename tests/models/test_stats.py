"""model_stats' parts: parameter count and forward FLOPs per image, and that a switch shows in both."""

from __future__ import annotations

import pytest
import torch.nn as nn

from bench.models import create_model
from bench.models.reparam import reparam_layers, switch_layer
from bench.models.stats import size_stats


def test_counts_a_linear_model_exactly() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10))
    stats = size_stats(model, 8)
    assert stats["params"] == 3 * 64 * 10 + 10
    assert stats["gflops"] == pytest.approx(2 * 3 * 64 * 10 / 1e9)  # one multiply-add = 2 FLOPs
    assert model.training  # the eval-mode forward restores the mode


def test_a_switch_adds_the_content_branch_and_attention_flops() -> None:
    model = create_model("reparam_vit_cpu_tiny", num_classes=10)
    before = size_stats(model, 32)
    for i in range(len(reparam_layers(model))):
        switch_layer(model, i)
    after = size_stats(model, 32)
    # per layer: q, k (2 x 90 x 96; the value is the kernel), 9 soft shares, 9 gates, 9 x 3 positional vectors
    assert after["params"] - before["params"] == 4 * (2 * 90 * 96 + 9 + 9 + 27)
    assert after["gflops"] > before["gflops"]
