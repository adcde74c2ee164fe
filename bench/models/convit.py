"""ConViT baselines at 32 px from timm (``timm.models.convit.ConVit``, GPSA layers).

timm's ``local_init`` puts the heads on a sqrt(H) x sqrt(H) grid of offsets centred on the query:
with 4 heads the centres are (+-0.5, +-0.5), between pixels, so only 9 heads give the true 3x3
neighbourhood {-1, 0, 1}^2 (docs/METHOD.md section 2). ``locality_strength`` (alpha, default 1 as in
ConViT) sets how sharp each head is: ~0.32 of the mass on its target pixel at alpha=1.
"""

from __future__ import annotations

from typing import Any

from timm.models.convit import ConVit

from .registry import register_model


def _convit(
    num_classes: int,
    patch_size: int,
    width: int,
    depth: int,
    num_heads: int,
    local_up_to_layer: int,
    overrides: dict[str, Any],
) -> ConVit:
    """Keyword overrides win over the variant's defaults; ``width`` is the total embedding width."""
    cfg = {
        "img_size": 32,
        "patch_size": patch_size,
        "width": width,
        "depth": depth,
        "num_heads": num_heads,
        "local_up_to_layer": local_up_to_layer,
        "locality_strength": 1.0,
        **overrides,
    }
    width, heads = cfg.pop("width"), cfg["num_heads"]
    if width % heads:
        raise ValueError(f"ConViT width {width} is not a multiple of num_heads={heads}")
    # timm's ConVit takes the per-head width and multiplies it by num_heads
    return ConVit(embed_dim=width // heads, num_classes=num_classes, **cfg)


@register_model("convit_cpu_tiny")
def convit_cpu_tiny(num_classes: int = 10, **kwargs: Any) -> ConVit:
    """CPU tier: vit_tiny's size (patch 4, width 96, 4 blocks), 4 heads, GPSA in the first 3 blocks."""
    return _convit(num_classes, 4, 96, 4, 4, 3, kwargs)


@register_model("convit_tiny_p4")
def convit_tiny_p4(num_classes: int = 100, **kwargs: Any) -> ConVit:
    """ConViT-Ti (width 192, 4 heads, 12 blocks, GPSA in the first 10) at patch 4."""
    return _convit(num_classes, 4, 192, 12, 4, 10, kwargs)


@register_model("convit_tiny_p2")
def convit_tiny_p2(num_classes: int = 100, **kwargs: Any) -> ConVit:
    """ConViT-Ti at patch 2 (16x16 tokens)."""
    return _convit(num_classes, 2, 192, 12, 4, 10, kwargs)


@register_model("convit_tiny_9h_p4")
def convit_tiny_9h_p4(num_classes: int = 100, **kwargs: Any) -> ConVit:
    """9 heads of width 21 (189 ~ DeiT-Ti's 192): local init on the true 3x3 neighbourhood."""
    return _convit(num_classes, 4, 189, 12, 9, 10, kwargs)


@register_model("convit_tiny_9h_p2")
def convit_tiny_9h_p2(num_classes: int = 100, **kwargs: Any) -> ConVit:
    """9 heads of width 21 at patch 2 (16x16 tokens): the full tier's ConViT, at the other ViT arms' patch size."""
    return _convit(num_classes, 2, 189, 12, 9, 10, kwargs)


@register_model("convit_small_p16_224")
def convit_small_p16_224(num_classes: int = 1000, **kwargs: Any) -> ConVit:
    """ConViT-S as in ConViT's ImageNet tables (timm's convit_small): 224 px, patch 16, 9 heads of
    width 48 (432), 12 blocks, GPSA in the first 10."""
    return _convit(num_classes, 16, 432, 12, 9, 10, {"img_size": 224, **kwargs})


convit_small_p16_224.input_size = 224  # type: ignore[attr-defined]
