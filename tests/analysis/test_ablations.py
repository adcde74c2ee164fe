"""ablation_summaries: what a trained model's switched layers lose when content attention or their whole
departure from the convolution is taken away, in accuracy and in the Fourier signature."""

from __future__ import annotations

import pytest
import torch

from bench.analysis.loading import ablation_summaries
from bench.analysis.summary import fourier_summary
from bench.models import create_model
from bench.models.reparam import reparam_layers, switch_layer


def model_and_data() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = create_model("reparam_vit_cpu_tiny", num_classes=4, embed_dim=36, depth=2).eval()
    return model, torch.randn(24, 3, 32, 32), torch.randint(0, 4, (24,))


def test_a_model_without_switched_layers_has_no_ablations() -> None:
    model, x, y = model_and_data()
    assert ablation_summaries(model, x, y, 8) == {}


def test_at_the_switch_nothing_has_been_learned_to_take_away() -> None:
    model, x, y = model_and_data()
    conv_hf = fourier_summary(model, x, 8)["hf_change_mixer_mean"]
    for i in range(len(reparam_layers(model))):
        switch_layer(model, i)
    out = ablation_summaries(model, x, y, 8)
    assert set(out) == {"as_trained", "content_off", "as_conv"}
    assert out["content_off"]["top1"] == out["as_conv"]["top1"] == out["as_trained"]["top1"]
    assert out["as_conv"]["hf_change_mixer_mean"] == pytest.approx(conv_hf, abs=1e-5)


def test_a_departed_layer_differs_from_its_ablations_and_is_restored() -> None:
    model, x, y = model_and_data()
    for i in range(len(reparam_layers(model))):
        switch_layer(model, i)
    with torch.no_grad():
        for layer in reparam_layers(model):
            layer.attn.gate.fill_(0.3)
            layer.attn.soft.fill_(1.0)
            layer.attn.qk.weight.normal_(std=0.5)
    before = fourier_summary(model, x, 8)["hf_change_mixer_mean"]
    out = ablation_summaries(model, x, y, 8)
    hf = {k: out[k]["hf_change_mixer_mean"] for k in ("content_off", "as_conv")}
    assert abs(hf["content_off"] - before) > 1e-3 and abs(hf["as_conv"] - hf["content_off"]) > 1e-3
    assert fourier_summary(model, x, 8)["hf_change_mixer_mean"] == pytest.approx(before, abs=1e-6)
