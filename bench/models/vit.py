"""DeiT/ViT baselines at 32 px from timm's VisionTransformer."""

from __future__ import annotations

from typing import Any

from timm.models.vision_transformer import VisionTransformer

from .registry import register_model


def _vit(num_classes: int, defaults: dict[str, Any], overrides: dict[str, Any]) -> VisionTransformer:
    """Keyword overrides win over the variant's defaults."""
    return VisionTransformer(num_classes=num_classes, **{"img_size": 32, **defaults, **overrides})


def _geometry(patch_size: int, embed_dim: int, depth: int, num_heads: int) -> dict[str, Any]:
    return {"patch_size": patch_size, "embed_dim": embed_dim, "depth": depth, "num_heads": num_heads}


@register_model("vit_tiny")
def vit_tiny(num_classes: int = 10, **kwargs: Any) -> VisionTransformer:
    """4 blocks, width 96, 3 heads, patch 4: a CPU-tier stand-in for DeiT."""
    return _vit(num_classes, _geometry(4, 96, 4, 3), kwargs)


@register_model("deit_tiny_p4")
def deit_tiny_p4(num_classes: int = 100, **kwargs: Any) -> VisionTransformer:
    return _vit(num_classes, _geometry(4, 192, 12, 3), kwargs)


@register_model("deit_tiny_p2")
def deit_tiny_p2(num_classes: int = 100, **kwargs: Any) -> VisionTransformer:
    return _vit(num_classes, _geometry(2, 192, 12, 3), kwargs)


@register_model("deit_small_p16_224")
def deit_small_p16_224(num_classes: int = 1000, **kwargs: Any) -> VisionTransformer:
    """DeiT-S as in DeiT and ConViT's ImageNet tables: 224 px, patch 16, width 384, 12 blocks, 6 heads."""
    return _vit(num_classes, {"img_size": 224, **_geometry(16, 384, 12, 6)}, kwargs)


deit_small_p16_224.input_size = 224  # type: ignore[attr-defined]
