"""Gated positional self-attention that starts out as an exact convolution (docs/METHOD.md sections 2-3).

``conv_to_attention(conv)`` turns a stride-1, odd-square-kernel, zero-padded ``nn.Conv2d`` into a
``ReparamGPSA`` whose output on a token grid equals the convolution's, borders included.

Design (why it is exact at the switch and still a trainable self-attention):

* One positional head per kernel offset D_h (K*K heads, docs/METHOD.md section 3, form (b)): head h
  attends with ``softmax_j(v_h . r_ij)``, r_ij = (dx, dy, dx^2 + dy^2), v_h initialised to
  ``alpha * (2 Dx, 2 Dy, -1)`` as ConViT's ``local_init`` does. With ``alpha = locality_strength``
  large the map is one-hot up to ``~4 exp(-alpha)`` of leaked mass (alpha=16: ~5e-7).
* The heads' attended copies are concatenated and mapped by the *convolution's own kernel*
  (``self.weight`` is the conv's Parameter, shape (C_out, C_in, K, K), laid out side by side at each
  forward), so the kernel keeps training, with its optimizer state, after the switch.
* Borders: the softmax snaps an outside target to the nearest inside pixel (a replicate pad), so
  head h's output at query i is multiplied by the fixed mask 1[i + D_h inside the grid]: zero pad.
* Content attention: a full ``softmax(q k^T / sqrt(d))`` per head with its own value path and an
  output projection ``proj`` initialised to zero, so it adds exactly 0 at the switch but receives
  gradients at once (q, k, v from the second step on).
* Gate per head, as in ConViT: head h outputs ``sigmoid(g_h) * positional_h + (1 - sigmoid(g_h)) *
  content_h``; g starts at ``gate_init`` (ConViT's 1.0, i.e. 0.73 positional). The whole gated output
  is multiplied by the constant ``1 / sigmoid(gate_init)`` so the positional path reproduces the
  kernel exactly; this constant is fixed (like 1/sqrt(d)), the gate itself is free.

* Softening (docs/REPARAM.md): the positional logits are ``locality * (v_h . r_ij)`` with v_h
  trained and initialised to the unit local init ``(2 Dx, 2 Dy, -1)``, and ``locality`` a buffer
  that starts at ``locality_strength`` (exact) and that ``soften(locality, progress)`` lowers after
  the switch; ``progress`` also fades the border mask to 1, so at the end of softening the layer
  is ConViT's GPSA at ``locality`` (unmasked, ConViT's parameterisation when locality is 1).

Trade-off, measured in tests/models/test_reparam_attn.py: a saturated map (locality 16) passes
~exp(-16) of the gradient, so without softening the positional maps never move (the layer stays
a convolution plus a content branch).
"""

from __future__ import annotations

import math
from typing import cast

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import trunc_normal_

DEFAULT_LOCALITY = 16.0  # float32 whole-map relative error ~1e-7 at the switch (see the tests)


def kernel_offsets(kernel_size: int) -> torch.Tensor:
    """(K*K, 2) offsets (dy, dx) in the conv weight's row-major (ki, kj) order."""
    r = torch.arange(kernel_size) - kernel_size // 2
    dy, dx = torch.meshgrid(r, r, indexing="ij")
    return torch.stack([dy.flatten(), dx.flatten()], dim=1)


def relative_positions(
    h: int, w: int, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """(N, N, 3) features r_ij = (dx, dy, dx^2+dy^2) of key j relative to query i, row-major tokens."""
    rows = torch.arange(h, device=device).repeat_interleave(w)
    cols = torch.arange(w, device=device).repeat(h)
    dy = (rows[None, :] - rows[:, None]).to(dtype)
    dx = (cols[None, :] - cols[:, None]).to(dtype)
    return torch.stack([dx, dy, dx * dx + dy * dy], dim=-1)


def border_mask(offsets: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(H, N) mask: 1 where query i's target i + D_h lies inside the h x w grid (the zero padding)."""
    rows = torch.arange(h, device=offsets.device).repeat_interleave(w)
    cols = torch.arange(w, device=offsets.device).repeat(h)
    r = rows[None, :] + offsets[:, 0:1]
    c = cols[None, :] + offsets[:, 1:2]
    return (r >= 0) & (r < h) & (c >= 0) & (c < w)


def unit_local_init(offsets: torch.Tensor) -> torch.Tensor:
    """(H, 3) ConViT local-init vectors at strength 1: v_h = (2 Dx, 2 Dy, -1)."""
    dy, dx = offsets[:, 0].float(), offsets[:, 1].float()
    return torch.stack([2 * dx, 2 * dy, -torch.ones_like(dx)], dim=1)


def target_mass(pos: torch.Tensor, offsets: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(H,) mean over queries i whose target i + D_h is inside the grid of pos[h, i, i + D_h]."""
    inside = border_mask(offsets, h, w)  # (H, N)
    n = h * w
    target = torch.arange(n, device=pos.device)[None, :] + offsets[:, 0:1] * w + offsets[:, 1:2]
    mass = pos.gather(-1, target.clamp(0, n - 1)[..., None])[..., 0]  # (H, N)
    return (mass * inside).sum(-1) / inside.sum(-1).clamp_min(1)


def local_init_target_mass(locality: float, kernel_size: int, h: int, w: int) -> float:
    """The mean target mass an untrained layer at ``locality`` has on an h x w grid (unmasked softmax).

    What a configured end strength implies: e.g. 3x3 kernel, locality 1, 8x8 grid -> about 0.40.
    """
    offsets = kernel_offsets(kernel_size)
    logits = (relative_positions(h, w)[:, :, None, :] * (locality * unit_local_init(offsets))).sum(-1)
    return float(target_mass(logits.permute(2, 0, 1).softmax(-1), offsets, h, w).mean())


class ReparamGPSA(nn.Module):
    """K*K-head gated positional self-attention whose positional value path is a conv kernel.

    ``forward(x, hw)``: x (B, h*w, C_in) row-major tokens -> (B, h*w, C_out).
    """

    offsets: torch.Tensor
    locality: torch.Tensor
    mask_fade: torch.Tensor
    last_distance: torch.Tensor
    last_target_mass: torch.Tensor
    bias: nn.Parameter | None

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: int = 3,
        bias: bool = True,
        head_dim: int | None = None,
        qkv_bias: bool = False,
        locality_strength: float = DEFAULT_LOCALITY,
        gate_init: float = 1.0,
    ) -> None:
        super().__init__()
        heads = kernel_size * kernel_size
        self.in_dim, self.out_dim, self.kernel_size, self.num_heads = in_dim, out_dim, kernel_size, heads
        self.head_dim = head_dim or max(1, in_dim // heads)
        self.scale = self.head_dim**-0.5
        self.out_scale = 1.0 / float(torch.sigmoid(torch.tensor(gate_init, dtype=torch.float32)))
        self.register_buffer("offsets", kernel_offsets(kernel_size), persistent=False)
        # positional branch (the convolution)
        self.weight = nn.Parameter(torch.empty(out_dim, in_dim, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_dim)) if bias else None
        self.pos_proj = nn.Linear(3, heads, bias=False)
        self.start_locality = float(locality_strength)
        # the current locality multiplier and the border mask's fade (0 = full mask); buffers so that a
        # compiled graph reads them (no recompile when they change) and checkpoints carry them
        self.register_buffer("locality", torch.tensor(float(locality_strength)))
        self.register_buffer("mask_fade", torch.tensor(0.0))
        self.gating_param = nn.Parameter(torch.full((heads,), float(gate_init)))
        # content branch (zero output at init)
        self.qk = nn.Linear(in_dim, 2 * heads * self.head_dim, bias=qkv_bias)
        self.v = nn.Linear(in_dim, heads * self.head_dim, bias=qkv_bias)
        self.proj = nn.Linear(heads * self.head_dim, out_dim, bias=False)
        # last eval-mode forward: per-head mean attended distance (row 0 content, row 1 positional, border-aware)
        # and the positional mass on each head's own offset, mean over queries whose target is inside
        self.register_buffer("last_distance", torch.full((2, heads), float("nan")), persistent=False)
        self.register_buffer("last_target_mass", torch.full((heads,), float("nan")), persistent=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        for lin in (self.qk, self.v):
            trunc_normal_(lin.weight, std=0.02)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)
        nn.init.zeros_(self.proj.weight)
        self.local_init()

    @torch.no_grad()
    def local_init(self) -> None:
        """ConViT's local init with integer offsets at unit strength (``locality`` multiplies it)."""
        self.pos_proj.weight.copy_(unit_local_init(self.offsets))

    @torch.no_grad()
    def soften(self, locality: float, progress: float) -> None:
        """Set the locality multiplier and fade the border mask by ``progress`` (0 exact .. 1 unmasked)."""
        self.locality.fill_(locality)
        self.mask_fade.fill_(progress)

    def effective_mask(self, h: int, w: int) -> torch.Tensor:
        """(H, N): the border mask faded towards 1 by ``mask_fade`` (the exact zero padding at 0)."""
        m = border_mask(self.offsets, h, w).to(self.mask_fade.dtype)
        return m + (1 - m) * self.mask_fade

    def positional_attention(self, h: int, w: int) -> torch.Tensor:
        """(H, N, N) float32 positional maps on an h x w grid (no border mask).

        Elementwise, not F.linear, so autocast cannot round the logits to 16 bits.
        """
        weight = self.pos_proj.weight.float() * self.locality.float()
        rel = relative_positions(h, w, weight.device, torch.float32)
        logits = (rel[:, :, None, :] * weight).sum(-1)  # (N, N, H)
        return logits.permute(2, 0, 1).softmax(dim=-1)

    def forward(self, x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        B, N, C = x.shape
        h, w = hw
        heads, d = self.num_heads, self.head_dim
        gate = torch.sigmoid(self.gating_param)  # (H,)
        pos = self.positional_attention(h, w).to(x.dtype)  # (H, N, N)
        mask = self.effective_mask(h, w).to(x.dtype)  # (H, N)
        rows = mask * (gate * self.out_scale)[:, None]
        z = torch.einsum("hij,bjc->bihc", pos * rows[:, :, None], x).reshape(B, N, heads * C)
        kernel = self.weight.permute(0, 2, 3, 1).reshape(self.out_dim, heads * C)  # form (b) layout
        y = F.linear(z, kernel, self.bias)

        q, k = self.qk(x).reshape(B, N, 2, heads, d).permute(2, 0, 3, 1, 4).unbind(0)
        content = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)  # (B, H, N, N)
        v = self.v(x).reshape(B, N, heads, d).transpose(1, 2)
        zc = (content @ v) * ((1.0 - gate) * self.out_scale)[None, :, None, None]
        y = y + self.proj(zc.transpose(1, 2).reshape(B, N, heads * d))

        if not self.training:  # evaluation feeds the diagnostics; in a training step they would be waste
            with torch.no_grad():
                self._record(content, pos.float(), mask.float(), h, w)
        return y

    def _record(self, content: torch.Tensor, pos: torch.Tensor, mask: torch.Tensor, h: int, w: int) -> None:
        """Diagnostics of this forward; border-aware: a (head, query) pair counts by its mask weight."""
        dist = relative_positions(h, w, pos.device, torch.float32)[..., 2].sqrt()  # (N, N)
        con_d = (content.float() * dist).sum(-1).mean(dim=(0, 2))
        pos_d = ((pos * dist).sum(-1) * mask).sum(-1) / mask.sum(-1).clamp_min(1e-12)
        self.last_distance.copy_(torch.stack([con_d, pos_d]).to(self.last_distance.dtype))
        self.last_target_mass.copy_(target_mass(pos, self.offsets, h, w).to(self.last_target_mass.dtype))

    @torch.no_grad()
    def diagnostics(self) -> dict[str, float | None]:
        """locality, pos_target_mass (mean over heads), gate (mean sigmoid(g)) and attn_distance (tokens,
        ConViT's mean attended distance of the gated map); the last two read the last eval-mode forward
        (None before the first; training forwards skip the bookkeeping)."""
        gate = torch.sigmoid(self.gating_param.float())
        con_d, pos_d = self.last_distance.float()
        dist = (gate * pos_d + (1 - gate) * con_d).mean()
        mass = self.last_target_mass.float().mean()
        return {
            "locality": float(self.locality),
            "pos_target_mass": None if torch.isnan(mass) else float(mass),
            "gate": float(gate.mean()),
            "attn_distance": None if torch.isnan(dist) else float(dist),
        }

    def extra_repr(self) -> str:
        return (
            f"{self.in_dim}, {self.out_dim}, kernel_size={self.kernel_size}, heads={self.num_heads}, "
            f"head_dim={self.head_dim}, bias={self.bias is not None}"
        )


def check_convertible(conv: nn.Module) -> None:
    """Raise ValueError naming the value if ``conv`` has no exact attention form."""
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"conv_to_attention needs an nn.Conv2d, got {type(conv).__name__}")
    kh, kw = conv.kernel_size
    if kh != kw or kh % 2 == 0:
        raise ValueError(f"conv_to_attention needs an odd square kernel, got kernel_size={conv.kernel_size}")
    if tuple(conv.stride) != (1, 1):
        raise ValueError(f"conv_to_attention needs stride 1 (stride 2 has no attention form), got stride={conv.stride}")
    if conv.groups != 1:
        raise ValueError(f"conv_to_attention needs groups=1, got groups={conv.groups}")
    if tuple(conv.dilation) != (1, 1):
        raise ValueError(f"conv_to_attention needs dilation 1, got dilation={conv.dilation}")
    same = conv.padding == "same" or tuple(conv.padding) == (kh // 2, kh // 2)
    if not same:
        raise ValueError(f"conv_to_attention needs padding {kh // 2} (= kernel_size // 2), got padding={conv.padding}")
    if conv.padding_mode != "zeros":
        raise ValueError(f"conv_to_attention needs zero padding, got padding_mode={conv.padding_mode!r}")


def conv_to_attention(
    conv: nn.Conv2d,
    *,
    share: bool = True,
    head_dim: int | None = None,
    qkv_bias: bool = False,
    locality_strength: float = DEFAULT_LOCALITY,
    gate_init: float = 1.0,
) -> ReparamGPSA:
    """Attention ``m`` with ``m(tokens, (h, w)) == conv(grid)`` flattened to (B, h*w, C_out).

    ``share=True`` (default) reuses the conv's weight and bias Parameters (same objects), so an
    optimizer that held them keeps their state; ``share=False`` copies them.
    """
    check_convertible(conv)
    k = conv.kernel_size[0]
    attn = ReparamGPSA(
        conv.in_channels,
        conv.out_channels,
        k,
        bias=conv.bias is not None,
        head_dim=head_dim,
        qkv_bias=qkv_bias,
        locality_strength=locality_strength,
        gate_init=gate_init,
    )
    attn.to(device=conv.weight.device, dtype=conv.weight.dtype)
    if share:
        attn.weight = cast(nn.Parameter, conv.weight)
        if conv.bias is not None:
            attn.bias = cast(nn.Parameter, conv.bias)
    else:
        with torch.no_grad():
            attn.weight.copy_(conv.weight)
            if conv.bias is not None and attn.bias is not None:
                attn.bias.copy_(conv.bias)
    return attn
