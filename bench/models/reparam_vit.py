"""The reparameterizable ViT: token mixers start as 3x3 convolutions over the token grid.

A DeiT-style pre-norm stack (timm's PatchEmbed, Mlp, DropPath, LayerNorm); each block's token
mixer is a ``ReparamLayer`` (one switchable layer per block, input side first), so a schedule can
keep it a convolution (CNN end), make it attention from step 0 (ViT end, still initialised as a
random kernel, so both ends start from the same function), or switch it at any epoch.

Choices (project decisions, not from the paper): no class token and average pooling, because the
convolution phase needs every token on the grid; a learned absolute position embedding as DeiT,
so the content attention has positions after the switch; 3x3 kernels, hence 9 attention heads.
Parameters grow at the switch: the kernel (9 C^2) stays as the value path the positional and the
content attention share, and the content branch adds its queries and keys (about 2 C^2 per layer).
``content=False`` builds the positional-only control (no content branch after the switch).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
import torch.nn as nn
from timm.layers import DropPath, LayerNorm, Mlp, PatchEmbed, trunc_normal_

from .registry import register_model
from .reparam import ReparamLayer, no_decay_names


class ReparamBlock(nn.Module):
    def __init__(
        self,
        dim: int,
        kernel_size: int,
        mlp_hidden: int,
        drop_path: float,
        norm_layer: Callable[[int], nn.Module],
        attn_kwargs: dict[str, Any],
    ) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        conv = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, bias=True)
        self.mixer = ReparamLayer(conv, layout="tokens", **attn_kwargs)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, mlp_hidden, act_layer=nn.GELU)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        x = x + self.drop_path1(self.mixer(self.norm1(x), hw))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


class ReparamViT(nn.Module):
    def __init__(
        self,
        img_size: int = 32,
        patch_size: int = 4,
        in_chans: int = 3,
        num_classes: int = 100,
        embed_dim: int = 192,
        depth: int = 12,
        kernel_size: int = 3,
        mlp_ratio: float = 4.0,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        locality_strength: float | None = None,
        content: bool = True,
        head_dim: int | None = None,
        qkv_bias: bool = False,
        mlp_hidden_dim: int | None = None,
        kernel_lr_scale: float | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.kernel_lr_scale = 1.0 / kernel_size**2 if kernel_lr_scale is None else float(kernel_lr_scale)
        self.num_classes, self.embed_dim, self.patch_size = num_classes, embed_dim, patch_size
        self.num_features = embed_dim
        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches, embed_dim))
        attn_kwargs: dict[str, Any] = {"content": content, "head_dim": head_dim, "qkv_bias": qkv_bias}
        if locality_strength is not None:
            attn_kwargs["locality_strength"] = locality_strength
        dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        norm = partial(LayerNorm, eps=1e-6)
        hidden = int(embed_dim * mlp_ratio) if mlp_hidden_dim is None else int(mlp_hidden_dim)
        self.blocks = nn.ModuleList(
            [ReparamBlock(embed_dim, kernel_size, hidden, dpr[i], norm, attn_kwargs) for i in range(depth)]
        )
        self.norm = norm(embed_dim)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes)
        trunc_normal_(self.pos_embed, std=0.02)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    @torch.jit.ignore
    def no_weight_decay(self) -> set[str]:
        """Position embedding, and the switched layers' positional vectors, soft shares and gates."""
        return {"pos_embed"} | no_decay_names(self)

    def param_lr_scales(self) -> dict[str, float]:
        """The token mixers' K x K kernels learn at ``kernel_lr_scale`` (default 1/K^2) times the recipe's rate.

        AdamW moves every weight by about lr per step, so a layer's output moves in proportion to
        its fan-in: the kernel's fan-in is K^2 C against C for the MLP's first layer. Without the
        scale the never-switched model stalled near chance on the smoke data (docs/REPARAM.md,
        "The CNN end"); the same kernel keeps the scale after a switch (it is the positional value
        path, same fan-in).
        """
        return {
            n: self.kernel_lr_scale
            for n, p in self.named_parameters()
            if p.ndim == 4 and n.endswith(("mixer.conv.weight", "mixer.attn.weight"))
        }

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        hw = (x.shape[-2] // self.patch_size, x.shape[-1] // self.patch_size)
        x = self.patch_embed(x) + self.pos_embed
        for blk in self.blocks:
            x = blk(x, hw)
        return self.norm(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.head_drop(self.forward_features(x).mean(dim=1)))


@register_model("reparam_vit_cpu_tiny")
def reparam_vit_cpu_tiny(num_classes: int = 10, **kwargs: Any) -> ReparamViT:
    """CPU tier: vit_tiny's geometry (patch 4, width 96, 4 blocks)."""
    return ReparamViT(num_classes=num_classes, **{"patch_size": 4, "embed_dim": 96, "depth": 4, **kwargs})


@register_model("reparam_vit_tiny_p4")
def reparam_vit_tiny_p4(num_classes: int = 100, **kwargs: Any) -> ReparamViT:
    """DeiT-Ti geometry (width 192, 12 blocks, MLP 4x) at patch 4: 8x8 tokens."""
    return ReparamViT(num_classes=num_classes, **{"patch_size": 4, "embed_dim": 192, "depth": 12, **kwargs})


@register_model("reparam_vit_tiny_p2")
def reparam_vit_tiny_p2(num_classes: int = 100, **kwargs: Any) -> ReparamViT:
    """DeiT-Ti geometry at patch 2: 16x16 tokens (the how-do-vits-work CIFAR setting)."""
    return ReparamViT(num_classes=num_classes, **{"patch_size": 2, "embed_dim": 192, "depth": 12, **kwargs})
