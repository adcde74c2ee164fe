"""DeiT/ViT baselines at 32 px from timm's VisionTransformer."""

from __future__ import annotations

from typing import Any

from timm.models.vision_transformer import VisionTransformer

from .registry import register_model


def _vit(num_classes: int, patch_size: int, embed_dim: int, depth: int, num_heads: int, **kwargs: Any):
    return VisionTransformer(img_size=32, patch_size=patch_size, embed_dim=embed_dim, depth=depth,
                             num_heads=num_heads, num_classes=num_classes, **kwargs)


@register_model("vit_tiny")
def vit_tiny(num_classes: int = 10, patch_size: int = 4, **kwargs: Any) -> VisionTransformer:
    """4 blocks, width 96, 3 heads: a CPU-tier stand-in for DeiT."""
    return _vit(num_classes, patch_size, 96, 4, 3, **kwargs)


@register_model("deit_tiny_p4")
def deit_tiny_p4(num_classes: int = 100, **kwargs: Any) -> VisionTransformer:
    return _vit(num_classes, 4, 192, 12, 3, **kwargs)


@register_model("deit_tiny_p2")
def deit_tiny_p2(num_classes: int = 100, **kwargs: Any) -> VisionTransformer:
    return _vit(num_classes, 2, 192, 12, 3, **kwargs)
