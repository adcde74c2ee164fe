"""Capture rules, one per model class in the registry (see ``capture.py`` for what a site is).

Adding a model: write ``@capture_rule(ItsClass) def _rule(model) -> list[Site]`` here listing
its sub-block outputs in depth order; ``tests/analysis/test_capture.py`` runs every registry
model through ``capture_sites`` and fails for a model without a rule.
"""

from __future__ import annotations

from typing import cast

import torch.nn as nn
from timm.models import convit as timm_convit
from timm.models import vision_transformer as timm_vit
from timm.models.resnet import BasicBlock, Bottleneck, ResNet

from ..models.reparam import ReparamLayer, reparam_layers
from ..models.reparam_vit import ReparamBlock, ReparamViT
from ..models.resnet import CifarResNet
from .capture import Kind, NoCaptureRule, Site, capture_rule, expect_type


def embed_site(first_block: nn.Module, prefix: int, label: str, tokens: bool = True) -> Site:
    """Site 0: the input of the first block (what the first token mixer starts from)."""
    return Site("embed", first_block, "input", "embed", label, tokens=tokens, prefix=prefix)


def prenorm_block_sites(
    name: str, block: nn.Module, prefix: int, attn_label: str, attn_kind: Kind = "attention", mixer: str = "attn"
) -> list[Site]:
    """Residual stream after the token mixer (= input of ``norm2``) and after the MLP (= block output)."""
    return [
        Site(
            f"{name}.{mixer}", block.get_submodule("norm2"), "input", attn_kind, attn_label, tokens=True, prefix=prefix
        ),
        Site(f"{name}.mlp", block, "output", "mlp", "MLP", tokens=True, prefix=prefix),
    ]


@capture_rule(timm_vit.VisionTransformer)
def _vit(model: timm_vit.VisionTransformer) -> list[Site]:
    """timm ViT/DeiT: every block sees the class and register tokens (``num_prefix_tokens``)."""
    sites = [embed_site(model.blocks[0], model.num_prefix_tokens, "patch embed")]
    for i, blk in enumerate(model.blocks):
        expect_type(blk, (timm_vit.Block,), f"blocks.{i}")
        sites += prenorm_block_sites(f"blocks.{i}", blk, model.num_prefix_tokens, "MHSA")
    return sites


@capture_rule(timm_convit.ConVit)
def _convit(model: timm_convit.ConVit) -> list[Site]:
    """timm ConViT: the class token is concatenated only before block ``local_up_to_layer``."""
    has_cls = model.cls_token is not None
    sites = [
        embed_site(
            model.blocks[0], model.num_prefix_tokens if has_cls and model.local_up_to_layer == 0 else 0, "patch embed"
        )
    ]
    for i, blk in enumerate(model.blocks):
        expect_type(blk, (timm_convit.Block,), f"blocks.{i}")
        prefix = model.num_prefix_tokens if has_cls and i >= model.local_up_to_layer else 0
        sites += prenorm_block_sites(f"blocks.{i}", blk, prefix, "GPSA" if blk.use_gpsa else "MHSA")
    return sites


@capture_rule(ReparamViT)
def _reparam_vit(model: ReparamViT) -> list[Site]:
    """Reparameterizable ViT: no prefix tokens; the mixer site is "conv" or "attention" by its current phase."""
    sites = [embed_site(model.blocks[0], 0, "patch embed")]
    for i, blk in enumerate(model.blocks):
        expect_type(blk, (ReparamBlock,), f"blocks.{i}")
        label, kind = ("conv", "conv") if cast(ReparamBlock, blk).mixer.phase == "conv" else ("GPSA", "attention")
        sites += prenorm_block_sites(f"blocks.{i}", blk, 0, label, cast(Kind, kind), mixer="mixer")
    return sites


def _resnet_block_site(name: str, block: nn.Module) -> Site:
    """A ResNet block is "attention" once any of its switchable convolutions (T-CNN style) has switched."""
    phases = [m.phase for m in block.modules() if isinstance(m, ReparamLayer)]
    n_attn = phases.count("attention")
    label = type(block).__name__ + (f"+GPSA {n_attn}/{len(phases)}" if n_attn else "")
    return Site(name, block, "output", "attention" if n_attn else "conv", label)


@capture_rule(ResNet)
def _resnet(model: ResNet) -> list[Site]:
    """timm ResNet, plain or with switchable convolutions: the stem's output, then every residual block's."""
    sites = [embed_site(model.layer1, 0, "stem", tokens=False)]
    for s in range(1, 5):
        for j, blk in enumerate(getattr(model, f"layer{s}")):
            expect_type(blk, (BasicBlock, Bottleneck), f"layer{s}.{j}")
            sites.append(_resnet_block_site(f"layer{s}.{j}", blk))
    covered = sum(isinstance(m, ReparamLayer) for site in sites for m in site.module.modules())
    if covered != len(reparam_layers(model)):
        raise NoCaptureRule("ResNet: a switchable layer lies outside the layer1..4 blocks; extend the capture rule")
    return sites


@capture_rule(CifarResNet)
def _cifar_resnet(model: CifarResNet) -> list[Site]:
    """He et al.'s CIFAR ResNet (ResNet-56): the stem's output, then every residual block's."""
    sites = [embed_site(model.stages, 0, "stem", tokens=False)]
    for s, stage in enumerate(model.stages):
        for j, blk in enumerate(cast(nn.Sequential, stage)):
            expect_type(blk, (BasicBlock,), f"stages.{s}.{j}")
            sites.append(_resnet_block_site(f"stages.{s}.{j}", blk))
    return sites
