"""Capture covers every registry model; sites match timm's own intermediates; class-token rule."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from timm.models.convit import ConVit
from timm.models.vision_transformer import VisionTransformer

from bench.analysis.capture import NoCaptureRule, capture_features, capture_sites, tokens_to_map
from bench.models import create_model, list_models, model_input_size
from bench.models.reparam import reparam_layers, switch_layer

BIG_PARAMS = 5_000_000  # models at least this big run at batch 1 to keep the folder fast


@pytest.mark.parametrize("name", list_models())
def test_every_registry_model_has_a_capture_rule(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=10)
    model.train()
    side = model_input_size(name)
    x = torch.randn(1 if sum(p.numel() for p in model.parameters()) >= BIG_PARAMS else 2, 3, side, side)
    caught = capture_features(model, x)
    assert model.training, "capture must restore the training mode"
    assert len({c.site.name for c in caught}) == len(caught) > 1
    for c in caught:
        b, ch, h, w = c.fmap.shape
        assert (b, h) == (x.shape[0], w) and h >= 2 and ch >= 1, (c.site.name, c.fmap.shape)
        assert c.site.kind in ("embed", "attention", "conv", "mlp")
    assert caught[0].site.kind == "embed" and all(c.site.kind != "embed" for c in caught[1:])
    # a map size never grows with depth, and depth order is forward order
    sizes = [c.fmap.shape[-1] for c in caught]
    assert sizes == sorted(sizes, reverse=True)
    layers = reparam_layers(model)
    if layers:  # every switchable layer starts as a convolution; after switching, its site is attention
        assert not any(c.site.attention for c in caught)
        for i in range(len(layers)):
            switch_layer(model, i)
        after = capture_features(model, x[:1])  # batch 1: attention on 16x16 tokens is the slow part
        assert [c.fmap.shape[1:] for c in after] == [c.fmap.shape[1:] for c in caught]
        assert sum(c.site.attention for c in after) >= 1


def test_reparam_vit_sites_follow_phases() -> None:
    torch.manual_seed(0)
    model = create_model("reparam_vit_cpu_tiny", num_classes=10).eval()
    switch_layer(model, 1)
    sites = capture_sites(model)
    assert [s.name for s in sites[:5]] == ["embed", "blocks.0.mixer", "blocks.0.mlp", "blocks.1.mixer", "blocks.1.mlp"]
    assert [s.kind for s in sites[1::2]] == ["conv", "attention", "conv", "conv"]
    x = torch.randn(2, 3, 32, 32)
    caught = capture_features(model, x)
    with torch.no_grad():  # residual after block 1's mixer, by hand
        hw = (8, 8)
        t = model.patch_embed(x) + model.pos_embed
        torch.testing.assert_close(caught[0].fmap, tokens_to_map(t, 0))  # site 0: what block 0 mixes
        t = model.blocks[0](t, hw)
        after_mixer = t + model.blocks[1].mixer(model.blocks[1].norm1(t), hw)
    torch.testing.assert_close(caught[3].fmap, tokens_to_map(after_mixer, 0))
    torch.testing.assert_close(caught[4].fmap, tokens_to_map(model.blocks[1](t, hw), 0))


def test_tcnn_resnet_block_is_attention_once_a_conv_switched() -> None:
    model = create_model("reparam_resnet18_cifar", num_classes=10)
    switch_layer(model, 0)  # layer3.0.conv2 (layer3.0.conv1 has stride 2)
    sites = {s.name: s for s in capture_sites(model)}
    assert sites["layer3.0"].attention and sites["layer3.0"].label == "BasicBlock+GPSA 1/1"
    assert [n for n, s in sites.items() if s.attention] == ["layer3.0"]
    assert sites["layer3.1"].label == "BasicBlock" and not sites["layer4.1"].attention


def _convit(local_up_to_layer: int, depth: int = 4) -> ConVit:
    torch.manual_seed(0)
    return ConVit(
        img_size=32,
        patch_size=4,
        num_classes=10,
        embed_dim=48,
        depth=depth,
        num_heads=4,
        local_up_to_layer=local_up_to_layer,
    ).eval()


@pytest.mark.parametrize("local_up_to_layer", [0, 2, 4])
def test_convit_class_token_dropped_only_where_it_exists(local_up_to_layer: int) -> None:
    model = _convit(local_up_to_layer)
    sites = capture_sites(model)
    # site 0 is block 0's input: it holds the class token only if block 0 is already past the GPSA part
    assert [s.prefix for s in sites] == [int(local_up_to_layer == 0)] + [
        0 if i // 2 < local_up_to_layer else 1 for i in range(len(sites) - 1)
    ]
    assert [s.label for s in sites[1::2]] == ["GPSA" if i < local_up_to_layer else "MHSA" for i in range(4)]
    x = torch.randn(2, 3, 32, 32)
    caught = capture_features(model, x)
    assert all(c.fmap.shape == (2, 192, 8, 8) for c in caught)  # h * w = 64 tokens; timm scales width by heads
    inter = model.forward_intermediates(x, norm=False, output_fmt="NCHW", intermediates_only=True)
    for i, ref in enumerate(inter):
        torch.testing.assert_close(caught[2 * i + 2].fmap, ref)


def test_vit_sites_match_timm_intermediates_and_attention_residual() -> None:
    torch.manual_seed(0)
    model = VisionTransformer(
        img_size=32, patch_size=4, embed_dim=48, depth=3, num_heads=3, num_classes=10, reg_tokens=2
    ).eval()
    assert model.num_prefix_tokens == 3
    x = torch.randn(2, 3, 32, 32)
    caught = capture_features(model, x)
    inter = model.forward_intermediates(x, norm=False, output_fmt="NCHW", intermediates_only=True)
    for i, ref in enumerate(inter):
        torch.testing.assert_close(caught[2 * i + 2].fmap, ref)
    # residual after attention, recomputed by hand from the full token sequence of block 0
    with torch.no_grad():
        tokens = model._pos_embed(model.patch_embed(x))
        tokens = model.norm_pre(model.patch_drop(tokens))
        blk = model.blocks[0]
        after_attn = tokens + blk.ls1(blk.attn(blk.norm1(tokens)))
    torch.testing.assert_close(caught[0].fmap, tokens_to_map(tokens, 3))  # site 0: block 0's input
    torch.testing.assert_close(caught[1].fmap, tokens_to_map(after_attn, 3))


def test_vit_without_class_token() -> None:
    model = VisionTransformer(
        img_size=32,
        patch_size=4,
        embed_dim=48,
        depth=2,
        num_heads=3,
        num_classes=10,
        class_token=False,
        global_pool="avg",
    )
    assert {s.prefix for s in capture_sites(model)} == {0}
    assert capture_features(model, torch.randn(1, 3, 32, 32))[0].fmap.shape == (1, 48, 8, 8)


def test_model_without_rule_fails_loudly() -> None:
    with pytest.raises(NoCaptureRule, match="Sequential"):
        capture_sites(nn.Sequential(nn.Conv2d(3, 4, 3)))


def test_unknown_block_type_fails_loudly() -> None:
    model = VisionTransformer(img_size=32, patch_size=4, embed_dim=48, depth=2, num_heads=3, num_classes=10)
    model.blocks[1] = nn.Identity()
    with pytest.raises(NoCaptureRule, match=r"blocks\.1.*Identity"):
        capture_sites(model)


def test_wrong_prefix_is_caught() -> None:
    with pytest.raises(ValueError, match="65 tokens minus 0"):
        tokens_to_map(torch.zeros(1, 65, 4), 0, "blocks.3.attn")
