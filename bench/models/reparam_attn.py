"""Gated positional self-attention that starts out as an exact convolution and leaves it by learning.

``conv_to_attention(conv)`` turns a stride-1, odd-square-kernel, zero-padded ``nn.Conv2d`` into a
``ReparamGPSA`` whose output on a token grid equals the convolution's, borders included, and whose
departure from the convolution afterwards is decided by gradients alone (docs/REPARAM.md).

One head per kernel offset D_h (K*K heads). Head h attends with the map

    A_h = g_h * P_h + (1 - g_h) * C_h                         (ConViT's gate, one shared value)
    P_h = (1 - s_h) * H_h + s_h * S_h                         (hard -> soft positional attention)

over ONE value per head, the kernel slice ``W[:, :, D_h]`` (docs/METHOD.md section 3, form (a);
computed in form (b): attend at full width, then apply the kernel laid out side by side, which
is the same function), so ``y_i = sum_h W_h sum_j A_h(i, j) x_j + b``:

* ``H_h``: the one-hot map on key i + D_h, the convolution itself. Keys lie on the grid padded with
  K//2 rings of zero tokens, so a target outside the grid reads zero: zero padding, no mask.
  Computed exactly by ``F.unfold`` (no saturated softmax, so no approximation at the switch).
* ``S_h = softmax_j(v_h . r_ij)`` over the padded keys, r_ij = (dx, dy, dx^2 + dy^2), v_h
  (``pos_proj``) learned and initialised to ConViT's local init ``locality_strength * (2 Dx, 2 Dy,
  -1)``: ConViT's positional attention, whose locality (-v_h[2]) is learned as in ConViT.
* ``C_h = softmax(q_h k_h^T / sqrt(d))`` over the real tokens (content attention; q, k only: the
  value is the kernel slice, shared with the positional map as in ConViT's GPSA).
* ``s_h`` (``soft``) and ``g_h`` (``gate``): per-head parameters that enter *linearly*, clamped to
  [0, 1] with a straight-through gradient (the clamp's value forward, the identity backward, so a
  parameter pushed past a bound still gets gradient and can come back). At the switch s = 0 and
  g = 1 exactly: the layer is the convolution, and dL/ds, dL/dg are O(1) (a sigmoid gate would
  have to saturate to be exact and then could not move). v_h gets gradient once s > 0 and q, k
  once g < 1, i.e. from the step after the first one that moves them (measured in the tests and
  in docs/REPARAM.md).

Ablations (never the default): ``content=False`` removes the content branch (g fixed at 1: the
positional-only control); ``force_soft(p)`` imposes a soft share of at least p from outside
(``s = p + (1 - p) * clamp(soft)``), the forced-softening ablation a schedule can drive.
Gradient monitor: every backward adds each departure parameter's squared gradient norm to a
buffer (a post-accumulate-grad hook, device-side, no host sync); ``grad_stats()`` gives the first
step's norms after the switch and the root mean square since the last ``reset_grad_stats()``, so a
run record shows whether learning, not a schedule, moved the layer.

A layer switched before the first training step has nothing learned to preserve: ``start_soft()``
sets s = 1 and g = sigmoid(1) = 0.731, so it starts as ConViT's GPSA at its init (local init at
strength 1, ConViT's gate).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import trunc_normal_

DEFAULT_LOCALITY = 1.0  # the soft map's initial strength: ConViT's local init default
CONVIT_GATE = 1 / (1 + math.exp(-1.0))  # ConViT's initial positional share, sigmoid(1) = 0.731
GRAD_WATCH = ("soft", "gate", "pos_proj.weight", "qk.weight", "weight")  # monitored; "weight" counts the steps
GRAD_BUFFERS = ("grad_sq", "grad_first", "grad_steps")  # the monitor's state (a resume checkpoint carries it)


def kernel_offsets(kernel_size: int) -> torch.Tensor:
    """(K*K, 2) offsets (dy, dx) in the conv weight's row-major (ki, kj) order."""
    r = torch.arange(kernel_size) - kernel_size // 2
    dy, dx = torch.meshgrid(r, r, indexing="ij")
    return torch.stack([dy.flatten(), dx.flatten()], dim=1)


def relative_positions(
    h: int, w: int, pad: int = 0, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """(N, M, 3) features r_ij = (dx, dy, dx^2+dy^2) of key j relative to query i.

    Queries: the h x w grid, row-major; keys: the same grid padded by ``pad`` on every side, row-major.
    """
    qr = torch.arange(h, device=device).repeat_interleave(w)
    qc = torch.arange(w, device=device).repeat(h)
    kr = (torch.arange(h + 2 * pad, device=device) - pad).repeat_interleave(w + 2 * pad)
    kc = (torch.arange(w + 2 * pad, device=device) - pad).repeat(h + 2 * pad)
    dy = (kr[None, :] - qr[:, None]).to(dtype)
    dx = (kc[None, :] - qc[:, None]).to(dtype)
    return torch.stack([dx, dy, dx * dx + dy * dy], dim=-1)


def inner_keys(h: int, w: int, pad: int, device: torch.device | None = None) -> torch.Tensor:
    """Indices of the real tokens among the padded keys (row-major), in the grid's row-major order."""
    rows = torch.arange(pad, h + pad, device=device).repeat_interleave(w)
    cols = torch.arange(pad, w + pad, device=device).repeat(h)
    return rows * (w + 2 * pad) + cols


def border_mask(offsets: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(H, N) mask: 1 where query i's target i + D_h lies inside the h x w grid."""
    rows = torch.arange(h, device=offsets.device).repeat_interleave(w)
    cols = torch.arange(w, device=offsets.device).repeat(h)
    r = rows[None, :] + offsets[:, 0:1]
    c = cols[None, :] + offsets[:, 1:2]
    return (r >= 0) & (r < h) & (c >= 0) & (c < w)


def unit_local_init(offsets: torch.Tensor) -> torch.Tensor:
    """(H, 3) ConViT local-init vectors at strength 1: v_h = (2 Dx, 2 Dy, -1)."""
    dy, dx = offsets[:, 0].float(), offsets[:, 1].float()
    return torch.stack([2 * dx, 2 * dy, -torch.ones_like(dx)], dim=1)


def soft_positional(pos_weight: torch.Tensor, h: int, w: int, pad: int) -> torch.Tensor:
    """(H, N, N) ConViT positional maps softmax_j(v_h . r_ij) over the zero-padded keys, real columns only.

    Rows sum to 1 minus the mass on padding tokens (which carry zero). Elementwise in float32, not
    F.linear, so autocast cannot round the logits to 16 bits.
    """
    weight = pos_weight.float()
    rel = relative_positions(h, w, pad, weight.device, torch.float32)
    logits = (rel[:, :, None, :] * weight).sum(-1)  # (N, M, H)
    return logits.permute(2, 0, 1).softmax(dim=-1)[:, :, inner_keys(h, w, pad, weight.device)]


def target_mass(pos: torch.Tensor, offsets: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(H,) mean over queries i whose target i + D_h is inside the grid of pos[h, i, i + D_h]."""
    inside = border_mask(offsets, h, w)  # (H, N)
    n = h * w
    target = torch.arange(n, device=pos.device)[None, :] + offsets[:, 0:1] * w + offsets[:, 1:2]
    mass = pos.gather(-1, target.clamp(0, n - 1)[..., None])[..., 0]  # (H, N)
    return (mass * inside).sum(-1) / inside.sum(-1).clamp_min(1)


def local_init_target_mass(locality: float, kernel_size: int, h: int, w: int) -> float:
    """Mean target mass of ConViT's local init at ``locality`` on an h x w grid (zero-padded keys).

    E.g. 3x3 kernel, locality 1, 8x8 grid -> about 0.32: how soft the soft map starts.
    """
    offsets = kernel_offsets(kernel_size)
    pos = soft_positional(locality * unit_local_init(offsets), h, w, kernel_size // 2)
    return float(target_mass(pos, offsets, h, w).mean())


def clamp_unit_st(p: torch.Tensor) -> torch.Tensor:
    """clamp(p, 0, 1) forward, identity backward (straight-through): exact at a bound, never a dead gradient."""
    return p + (p.clamp(0.0, 1.0) - p).detach()


class ReparamGPSA(nn.Module):
    """K*K-head gated positional self-attention whose shared value path is a conv kernel.

    ``forward(x, hw)``: x (B, h*w, C_in) row-major tokens -> (B, h*w, C_out).
    """

    offsets: torch.Tensor
    forced: torch.Tensor
    grad_sq: torch.Tensor
    grad_first: torch.Tensor
    grad_steps: torch.Tensor
    last_distance: torch.Tensor
    last_target_mass: torch.Tensor
    bias: nn.Parameter | None
    gate: nn.Parameter | None

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: int = 3,
        bias: bool = True,
        head_dim: int | None = None,
        qkv_bias: bool = False,
        locality_strength: float = DEFAULT_LOCALITY,
        content: bool = True,
    ) -> None:
        super().__init__()
        heads = kernel_size * kernel_size
        self.in_dim, self.out_dim, self.kernel_size, self.num_heads = in_dim, out_dim, kernel_size, heads
        self.head_dim = head_dim or max(1, in_dim // heads)
        self.scale = self.head_dim**-0.5
        self.locality_strength = float(locality_strength)
        self.register_buffer("offsets", kernel_offsets(kernel_size), persistent=False)
        # the shared value path: the convolution's kernel and bias
        self.weight = nn.Parameter(torch.empty(out_dim, in_dim, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_dim)) if bias else None
        # positional attention: hard (the conv) -> soft (ConViT's), by the learned share s
        self.pos_proj = nn.Linear(3, heads, bias=False)
        self.soft = nn.Parameter(torch.zeros(heads))
        # the forced-softening ablation: a buffer so a compiled graph reads it and checkpoints carry it
        self.register_buffer("forced", torch.tensor(0.0))
        # content attention (q, k: the value is the kernel slice), gated in by g
        self.content = bool(content)
        self.qk = nn.Linear(in_dim, 2 * heads * self.head_dim, bias=qkv_bias) if content else None
        self.gate = nn.Parameter(torch.ones(heads)) if content else None
        # last eval-mode forward: per-head mean attended distance (row 0 content, row 1 positional) and
        # the positional mass on each head's own offset, mean over queries whose target is inside
        self.register_buffer("last_distance", torch.full((2, heads), float("nan")), persistent=False)
        self.register_buffer("last_target_mass", torch.full((heads,), float("nan")), persistent=False)
        n = len(GRAD_WATCH)
        self.register_buffer("grad_sq", torch.zeros(n), persistent=False)
        self.register_buffer("grad_first", torch.full((n,), float("nan")), persistent=False)
        self.register_buffer("grad_steps", torch.zeros(()), persistent=False)
        self.reset_parameters()

    def watch_gradients(self) -> None:
        """Hook the departure parameters (call once the kernel Parameters are final, i.e. after sharing)."""
        params = dict(self.named_parameters())
        for i, name in enumerate(GRAD_WATCH):
            if name in params:
                params[name].register_post_accumulate_grad_hook(self._grad_hook(i, name == "weight"))

    def _grad_hook(self, i: int, counts: bool) -> Callable[[torch.Tensor], None]:
        def hook(p: torch.Tensor) -> None:
            if p.grad is None:
                return
            sq = p.grad.detach().float().square().sum().to(self.grad_sq.device)
            self.grad_sq[i] += sq
            self.grad_first[i] = torch.where(torch.isnan(self.grad_first[i]), sq.sqrt(), self.grad_first[i])
            if counts:
                self.grad_steps += 1

        return hook

    @torch.no_grad()
    def grad_stats(self) -> dict[str, dict[str, float | None]]:
        """``{"first": {name: norm}, "rms": {name: norm}}``: the gradient norm at the first backward after
        the switch and the root mean square over the backwards since the last reset (None: not present or
        no backward yet). Under fp16 loss scaling the norms include the scale."""
        steps = float(self.grad_steps)
        out: dict[str, dict[str, float | None]] = {"first": {}, "rms": {}}
        present = dict(self.named_parameters())
        for i, name in enumerate(GRAD_WATCH):
            key = name.removesuffix(".weight") if name != "weight" else "kernel"
            first = float(self.grad_first[i])
            out["first"][key] = None if name not in present or math.isnan(first) else first
            out["rms"][key] = None if name not in present or steps == 0 else math.sqrt(float(self.grad_sq[i]) / steps)
        return out

    @torch.no_grad()
    def reset_grad_stats(self) -> None:
        self.grad_sq.zero_()
        self.grad_steps.zero_()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.qk is not None:
            trunc_normal_(self.qk.weight, std=0.02)
            if self.qk.bias is not None:
                nn.init.zeros_(self.qk.bias)
        self.pos_proj.weight.copy_(self.local_init_vectors())

    def local_init_vectors(self) -> torch.Tensor:
        """(H, 3) the positional vectors' initial values (ConViT's local init at ``locality_strength``)."""
        return self.locality_strength * unit_local_init(self.offsets).to(self.pos_proj.weight)

    @torch.no_grad()
    def start_soft(self) -> None:
        """A layer switched before any training: start as ConViT's GPSA at init (s = 1, g = sigmoid(1))."""
        self.soft.fill_(1.0)
        if self.gate is not None:
            self.gate.fill_(CONVIT_GATE)

    @torch.no_grad()
    def force_soft(self, share: float) -> None:
        """The forced-softening ablation: impose a soft share of at least ``share`` (0 = none)."""
        self.forced.fill_(share)

    def soft_share(self) -> torch.Tensor:
        """(H,) the soft map's share s_h in the positional attention."""
        forced = self.forced.to(self.soft.dtype)
        return forced + (1 - forced) * clamp_unit_st(self.soft)

    def gate_value(self) -> torch.Tensor:
        """(H,) the positional share g_h of each head (1 without a content branch)."""
        return clamp_unit_st(self.gate) if self.gate is not None else torch.ones_like(self.soft)

    def positional_attention(self, h: int, w: int) -> torch.Tensor:
        """(H, N, N) float32 effective positional maps (1 - s) H + s S over the real keys."""
        pad = self.kernel_size // 2
        s = self.soft_share().float()[:, None, None]
        hard = F.one_hot(self._hard_targets(h, w), h * w + 1)[..., :-1].to(torch.float32)
        return (1 - s) * hard + s * soft_positional(self.pos_proj.weight, h, w, pad)

    def _hard_targets(self, h: int, w: int) -> torch.Tensor:
        """(H, N) key index i + D_h of each head and query, or N (no key) where it is a padding token."""
        n = h * w
        target = torch.arange(n, device=self.offsets.device)[None, :] + self.offsets[:, 0:1] * w + self.offsets[:, 1:2]
        return torch.where(border_mask(self.offsets, h, w), target, torch.full_like(target, n))

    def forward(self, x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        B, N, C = x.shape
        h, w = hw
        heads, k, pad = self.num_heads, self.kernel_size, self.kernel_size // 2
        s, g = self.soft_share(), self.gate_value()
        # the hard positional path: each head's shifted copy of the zero-padded grid (im2col, exact)
        grid = x.transpose(1, 2).reshape(B, C, h, w)
        shifted = F.unfold(grid, k, padding=pad).reshape(B, C, heads, N).permute(0, 3, 2, 1)  # (B, N, H, C)
        z = shifted * (g * (1 - s)).to(x.dtype)[None, None, :, None]
        # the soft and content maps, mixed per head before they meet the value
        soft_map = soft_positional(self.pos_proj.weight, h, w, pad).to(x.dtype)  # (H, N, N)
        attn = soft_map * (g * s).to(x.dtype)[:, None, None]
        content = None
        if self.qk is not None:
            q, kk = self.qk(x).reshape(B, N, 2, heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
            content = ((q @ kk.transpose(-2, -1)) * self.scale).softmax(dim=-1)  # (B, H, N, N)
            attn = attn + content * (1 - g).to(x.dtype)[None, :, None, None]
        z = z + (attn @ x.unsqueeze(1)).transpose(1, 2)  # (B, N, H, C)
        kernel = self.weight.permute(0, 2, 3, 1).reshape(self.out_dim, heads * C)  # form (b) layout
        y = F.linear(z.reshape(B, N, heads * C), kernel, self.bias)
        if not self.training:  # evaluation feeds the diagnostics; in a training step they would be waste
            with torch.no_grad():
                self._record(content, h, w)
        return y

    def _record(self, content: torch.Tensor | None, h: int, w: int) -> None:
        """Diagnostics of this forward (border-aware: a (head, query) pair counts where its target is inside)."""
        pos = self.positional_attention(h, w)
        mask = border_mask(self.offsets, h, w).float()
        dist = relative_positions(h, w, 0, pos.device, torch.float32)[..., 2].sqrt()  # (N, N)
        pos_d = ((pos * dist).sum(-1) * mask).sum(-1) / mask.sum(-1).clamp_min(1e-12)
        con_d = (
            torch.full_like(pos_d, float("nan")) if content is None else (content.float() * dist).sum(-1).mean((0, 2))
        )
        self.last_distance.copy_(torch.stack([con_d, pos_d]).to(self.last_distance.dtype))
        self.last_target_mass.copy_(target_mass(pos, self.offsets, h, w).to(self.last_target_mass.dtype))

    @torch.no_grad()
    def diagnostics(self) -> dict[str, float | None]:
        """Per layer, means over heads: what training has done to the layer since its switch.

        ``soft``: the soft map's share s; ``gate``: the positional share g; ``locality``: -v_h[2], the
        soft map's learned strength (ConViT's reading); ``pos_move``: ||v - v_0|| / ||v_0||, how far the
        positional vectors moved from their local init; ``pos_target_mass``: positional mass on the
        head's own offset (1.0 = the convolution); ``attn_distance``: mean attended distance (tokens) of
        the gated map. The last two read the last eval-mode forward (None before the first).
        """
        s, g = self.soft_share().float(), self.gate_value().float()
        v, v0 = self.pos_proj.weight.float(), self.local_init_vectors().float()
        con_d, pos_d = self.last_distance.float()
        dist = pos_d if self.qk is None else g * pos_d + (1 - g) * con_d
        mass = self.last_target_mass.float().mean()
        return {
            "soft": float(s.mean()),
            "gate": float(g.mean()),
            "locality": float(-v[:, 2].mean()),
            "pos_move": float((v - v0).norm() / v0.norm()),
            "pos_target_mass": None if torch.isnan(mass) else float(mass),
            "attn_distance": None if torch.isnan(dist).any() else float(dist.mean()),
        }

    def extra_repr(self) -> str:
        return (
            f"{self.in_dim}, {self.out_dim}, kernel_size={self.kernel_size}, heads={self.num_heads}, "
            f"head_dim={self.head_dim}, bias={self.bias is not None}, content={self.content}"
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
    content: bool = True,
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
        content=content,
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
    attn.watch_gradients()
    return attn
