"""Every registered model: forward/backward/shape at its input size (32 px, or 224 for the ImageNet
models); reparam models also after switching."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from bench.errors import BenchError
from bench.models import create_model, list_models, model_input_size
from bench.models.reparam import reparam_layers, switch_layer


def fwd_bwd(model: torch.nn.Module, side: int = 32) -> None:
    torch.manual_seed(0)
    logits = model(torch.randn(2, 3, side, side))
    assert logits.shape == (2, 7)
    loss = F.cross_entropy(logits, torch.tensor([1, 3]))
    assert torch.isfinite(loss)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient reached {missing[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", list_models())
def test_forward_backward_shape(name: str) -> None:
    fwd_bwd(create_model(name, num_classes=7), model_input_size(name))


# the GPU-size ViT variants are covered by the registry test (conv phase) and the logits test (attention)
@pytest.mark.parametrize("name", [n for n in list_models() if n.startswith("reparam_") and "_tiny_p" not in n])
def test_forward_backward_after_switch(name: str) -> None:
    model = create_model(name, num_classes=7)
    layers = reparam_layers(model)
    assert layers, f"{name} has no switchable layers"
    for i in range(len(layers)):
        switch_layer(model, i)
    fwd_bwd(model)


def test_expected_models_registered() -> None:
    expected = {
        "resnet18_cifar",
        "resnet50_cifar",
        "resnet_tiny",
        "vit_tiny",
        "deit_tiny_p4",
        "deit_tiny_p2",
        "convit_cpu_tiny",
        "convit_tiny_p4",
        "convit_tiny_p2",
        "convit_tiny_9h_p4",
        "convit_tiny_9h_p2",
        "reparam_vit_cpu_tiny",
        "reparam_vit_tiny_p4",
        "reparam_vit_tiny_p2",
        "reparam_resnet18_cifar",
        "reparam_resnet_tiny",
    }
    assert expected <= set(list_models())


def test_switchable_layer_counts() -> None:
    assert len(reparam_layers(create_model("reparam_vit_cpu_tiny", num_classes=7))) == 4
    assert len(reparam_layers(create_model("reparam_resnet_tiny", num_classes=7))) == 2  # conv2 of layer3, layer4
    assert len(reparam_layers(create_model("reparam_resnet_tiny", num_classes=7, reparam_stages=(2, 3, 4)))) == 3
    with pytest.raises(ValueError, match="got 5"):
        create_model("reparam_resnet_tiny", num_classes=7, reparam_stages=(5,))


def test_bad_keyword_names_model() -> None:
    with pytest.raises(BenchError, match="convit_cpu_tiny"):
        create_model("convit_cpu_tiny", num_classes=7, nonsense=1)


def head_offsets(name: str) -> set[tuple[float, float]]:
    """Centres (dx, dy) of the first GPSA's positional heads: score -a|d|^2 + 2a D.d peaks at D."""
    w = create_model(name, num_classes=7, depth=1).blocks[0].attn.pos_proj.weight.detach()
    return {(round(float(wx / (-2 * wd)), 3), round(float(wy / (-2 * wd)), 3)) for wx, wy, wd in w}


def test_convit_9_heads_cover_the_3x3_neighbourhood() -> None:
    assert head_offsets("convit_tiny_9h_p4") == {(dx, dy) for dx in (-1.0, 0.0, 1.0) for dy in (-1.0, 0.0, 1.0)}
    # 4 heads sit between pixels (docs/METHOD.md section 2)
    assert head_offsets("convit_cpu_tiny") == {(dx, dy) for dx in (-0.5, 0.5) for dy in (-0.5, 0.5)}
