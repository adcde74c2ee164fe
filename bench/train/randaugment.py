"""RandAugment on uint8 batches with timm's semantics (``rand-m9-mstd0.5-inc1``), with no per-image loop.

timm (``timm.data.auto_augment.rand_augment_transform``, the DeiT/ConViT recipe) does, per image
and per layer (``num_ops`` layers): pick one op uniformly from its list (with replacement across
layers), skip it with probability 1 - ``prob``, draw the magnitude from N(``magnitude``,
``magnitude_std``) clipped to [0, 10], turn it into the op's argument (a random sign for
rotations, shears, translations and the "increasing" enhancements), and apply it with PIL.

Here every draw is made for the whole batch at once, each colour op is computed for the batch as a
tensor expression of PIL's arithmetic (lookup-table ops exactly; blends, the RGB->L conversion and
the 3x3 smoothing as PIL computes them), geometric ops are one affine resampling with PIL's
pixel-centre convention, its inside test and its fill colour; images are grouped by op per layer
and each group is transformed as one batch; bilinear and bicubic (PIL's a = -1 for transforms) sampling are gathers of the 4 or 16
neighbours. ``PosterizeIncreasing`` at
magnitude 10 keeps 0 bits (a black image), which is what timm meant: current Pillow raises there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
LEVEL_DENOM = 10.0

# timm's _RAND_INCREASING_TRANSFORMS (inc1) and _RAND_TRANSFORMS (inc0), in timm's order
INCREASING = (
    "AutoContrast",
    "Equalize",
    "Invert",
    "Rotate",
    "PosterizeIncreasing",
    "SolarizeIncreasing",
    "SolarizeAdd",
    "ColorIncreasing",
    "ContrastIncreasing",
    "BrightnessIncreasing",
    "SharpnessIncreasing",
    "ShearX",
    "ShearY",
    "TranslateXRel",
    "TranslateYRel",
)
PLAIN = (
    "AutoContrast",
    "Equalize",
    "Invert",
    "Rotate",
    "Posterize",
    "Solarize",
    "SolarizeAdd",
    "Color",
    "Contrast",
    "Brightness",
    "Sharpness",
    "ShearX",
    "ShearY",
    "TranslateXRel",
    "TranslateYRel",
)


def _signed(scale: float) -> Callable[[Tensor, Tensor, float], Tensor]:
    return lambda m, neg, pct: torch.where(neg, -1.0, 1.0) * (m / LEVEL_DENOM) * (pct if scale < 0 else scale)


def _enhance_increasing(m: Tensor, neg: Tensor, _: float) -> Tensor:
    return torch.clamp(1.0 + torch.where(neg, -1.0, 1.0) * (m / LEVEL_DENOM) * 0.9, min=0.1)


# op name -> level function (magnitude, negate, translate_pct) -> argument, timm's LEVEL_TO_ARG
LEVELS: dict[str, Callable[[Tensor, Tensor, float], Tensor]] = {
    "Rotate": _signed(30.0),
    "ShearX": _signed(0.3),
    "ShearY": _signed(0.3),
    "TranslateXRel": _signed(-1),
    "TranslateYRel": _signed(-1),  # x translate_pct
    "PosterizeIncreasing": lambda m, n, p: 4 - torch.floor(m / LEVEL_DENOM * 4),
    "Posterize": lambda m, n, p: torch.floor(m / LEVEL_DENOM * 4),
    "SolarizeIncreasing": lambda m, n, p: 256 - torch.clamp(torch.floor(m / LEVEL_DENOM * 256), max=256),
    "Solarize": lambda m, n, p: torch.clamp(torch.floor(m / LEVEL_DENOM * 256), max=256),
    "SolarizeAdd": lambda m, n, p: torch.clamp(torch.floor(m / LEVEL_DENOM * 110), max=128),
    **{f"{k}Increasing": _enhance_increasing for k in ("Color", "Contrast", "Brightness", "Sharpness")},
    **{k: (lambda m, n, p: m / LEVEL_DENOM * 1.8 + 0.1) for k in ("Color", "Contrast", "Brightness", "Sharpness")},
}
GEOMETRIC = ("Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel")


def _v(t: Tensor) -> Tensor:
    return t.view(-1, 1, 1, 1)


def blend(degenerate: Tensor, img: Tensor, factor: Tensor) -> Tensor:
    """PIL's Image.blend(degenerate, img, factor) on uint8 values: truncate after clipping."""
    return torch.floor(torch.clamp(degenerate + _v(factor) * (img - degenerate), 0, 255))


def grey(x: Tensor) -> Tensor:
    """PIL's RGB -> L: (19595 R + 38470 G + 7471 B + 0x8000) >> 16."""
    w = torch.tensor([19595.0, 38470.0, 7471.0], device=x.device).view(1, 3, 1, 1)
    return torch.floor(((x * w).sum(1, keepdim=True) + 32768.0) / 65536.0)


def autocontrast(x: Tensor, _: Tensor) -> Tensor:
    lo, hi = x.amin((2, 3), keepdim=True), x.amax((2, 3), keepdim=True)
    scale = 255.0 / torch.clamp(hi - lo, min=1)
    return torch.where(hi > lo, torch.clamp(torch.floor((x - lo) * scale + 1e-6), 0, 255), x)


def equalize(x: Tensor, _: Tensor) -> Tensor:
    """PIL's ImageOps.equalize per image and channel, from one batched histogram."""
    n, c, h, w = x.shape
    flat = x.reshape(n * c, h * w).long()
    hist = torch.zeros(n * c, 256, device=x.device).scatter_add_(1, flat, torch.ones_like(flat, dtype=torch.float))
    last = hist.gather(1, flat.amax(1, keepdim=True))  # count of the highest level used
    step = torch.floor((hist.sum(1, keepdim=True) - last) / 255)
    lut = torch.floor((torch.floor(step / 2) + torch.cumsum(hist, 1) - hist) / torch.clamp(step, min=1))
    keep = ((hist > 0).sum(1, keepdim=True) <= 1) | (step == 0)
    out = torch.clamp(lut, max=255).gather(1, flat).float()
    return torch.where(keep, flat.float(), out).view(n, c, h, w)


def posterize(x: Tensor, bits: Tensor) -> Tensor:
    mask = (255 - (2 ** (8 - bits.clamp(0, 8)) - 1)).long()
    return (x.long() & _v(mask)).float()


def solarize(x: Tensor, thresh: Tensor) -> Tensor:
    return torch.where(x >= _v(thresh), 255 - x, x)


def solarize_add(x: Tensor, add: Tensor) -> Tensor:
    return torch.where(x < 128, torch.clamp(x + _v(add), max=255), x)


def color(x: Tensor, f: Tensor) -> Tensor:
    return blend(grey(x).expand_as(x), x, f)


def contrast(x: Tensor, f: Tensor) -> Tensor:
    mean = torch.floor(grey(x).mean((2, 3), keepdim=True) + 0.5)
    return blend(mean.expand_as(x), x, f)


def brightness(x: Tensor, f: Tensor) -> Tensor:
    return blend(torch.zeros_like(x), x, f)


def sharpness(x: Tensor, f: Tensor) -> Tensor:
    """Blend with PIL's SMOOTH filter (3x3, centre 5, /13), which leaves the border pixels as they are."""
    k = torch.ones(3, 3, device=x.device)
    k[1, 1] = 5.0
    k = (k / 13.0).expand(x.shape[1], 1, 3, 3)
    smooth = torch.floor(F.conv2d(x, k, groups=x.shape[1]) + 0.5)
    degenerate = x.clone()
    degenerate[:, :, 1:-1, 1:-1] = smooth
    return blend(degenerate, x, f)


COLOUR_OPS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "AutoContrast": autocontrast,
    "Equalize": equalize,
    "Invert": lambda x, _: 255 - x,
    "PosterizeIncreasing": posterize,
    "Posterize": posterize,
    "SolarizeIncreasing": solarize,
    "Solarize": solarize,
    "SolarizeAdd": solarize_add,
    "ColorIncreasing": color,
    "Color": color,
    "ContrastIncreasing": contrast,
    "Contrast": contrast,
    "BrightnessIncreasing": brightness,
    "Brightness": brightness,
    "SharpnessIncreasing": sharpness,
    "Sharpness": sharpness,
}


def affine(name: str, arg: Tensor, h: int, w: int) -> Tensor:
    """PIL's output->input affine (a, b, c, d, e, f) per image for one geometric op, shape (n, 6)."""
    one, zero = torch.ones_like(arg), torch.zeros_like(arg)
    if name == "Rotate":  # Image.rotate(deg) about (w/2, h/2)
        t = -arg * math.pi / 180
        cos, sin = torch.cos(t), torch.sin(t)
        cx, cy = w / 2, h / 2
        return torch.stack([cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy], 1)
    if name == "ShearX":
        return torch.stack([one, arg, zero, zero, one, zero], 1)
    if name == "ShearY":
        return torch.stack([one, zero, zero, arg, one, zero], 1)
    if name == "TranslateXRel":
        return torch.stack([one, zero, arg * w, zero, one, zero], 1)
    return torch.stack([one, zero, zero, zero, one, arg * h], 1)  # TranslateYRel


def _cubic(t: Tensor, a: float = -1.0) -> Tensor:
    """Cubic convolution weight at distance ``t``; a = -1 is what PIL's transform() BICUBIC computes."""
    t = t.abs()
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return torch.where(t <= 1, near, torch.where(t < 2, far, torch.zeros_like(t)))


def _sample(x: Tensor, xin: Tensor, yin: Tensor, taps: int) -> Tensor:
    """PIL's bilinear (taps=2) or bicubic (taps=4) filter at continuous (xin, yin), edges clamped."""
    n, c, h, w = x.shape
    fx, fy = xin - 0.5, yin - 0.5
    x0, y0 = torch.floor(fx), torch.floor(fy)
    dx, dy = fx - x0, fy - y0
    offsets = range(-(taps // 2) + 1, taps // 2 + 1)  # bilinear 0..1, bicubic -1..2
    kernel = (lambda t: torch.clamp(1 - t.abs(), min=0)) if taps == 2 else _cubic
    flat = x.reshape(n, c, h * w)
    out = torch.zeros(n, c, *xin.shape[1:], device=x.device)
    for j in offsets:
        yy = torch.clamp(y0 + j, 0, h - 1).long()
        wy = kernel(dy - j)
        for i in offsets:
            xx = torch.clamp(x0 + i, 0, w - 1).long()
            idx = (yy * w + xx).view(n, 1, -1).expand(n, c, -1)
            out += flat.gather(2, idx).view_as(out) * (wy * kernel(dx - i)).unsqueeze(1)
    return out


def warp(x: Tensor, m: Tensor, bicubic: bool, fill: Tensor) -> Tensor:
    """PIL's Image.transform(AFFINE): sample at M @ (pixel centre); outside the image -> ``fill``."""
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=x.device) + 0.5, torch.arange(w, device=x.device) + 0.5, indexing="ij"
    )
    a, b, c, d, e, f = (m[:, i].view(n, 1, 1) for i in range(6))
    xin, yin = a * xs + b * ys + c, d * xs + e * ys + f
    inside = (xin >= 0) & (xin < w) & (yin >= 0) & (yin < h)
    out = torch.clamp(torch.floor(_sample(x, xin, yin, 4 if bicubic else 2)), 0, 255)
    return torch.where(inside.unsqueeze(1), out, fill.view(1, -1, 1, 1))


@dataclass(frozen=True)
class Draws:
    """Per layer (rows) and image (columns): op index, applied, magnitude, sign, bicubic."""

    op: Tensor
    apply: Tensor
    magnitude: Tensor
    negate: Tensor
    bicubic: Tensor

    def __getitem__(self, sl: slice) -> Draws:
        return Draws(self.op[:, sl], self.apply[:, sl], self.magnitude[:, sl], self.negate[:, sl], self.bicubic[:, sl])


class BatchRandAugment:
    """``rand-m{magnitude}-mstd{magnitude_std}-inc{increasing}``, n = ``num_ops``, p = ``prob``."""

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: float = 9,
        magnitude_std: float = 0.5,
        prob: float = 0.5,
        increasing: bool = True,
        fill: tuple[int, ...] = (128, 128, 128),
        translate_pct: float = 0.45,
        magnitude_max: float = LEVEL_DENOM,
    ) -> None:
        self.num_ops, self.magnitude, self.magnitude_std, self.prob = num_ops, magnitude, magnitude_std, prob
        self.ops = INCREASING if increasing else PLAIN
        self.fill, self.translate_pct, self.magnitude_max = fill, translate_pct, magnitude_max

    def draw(self, n: int, gen: torch.Generator) -> Draws:
        shape, dev = (self.num_ops, n), gen.device
        op = torch.randint(0, len(self.ops), shape, generator=gen, device=dev)
        apply = torch.rand(shape, generator=gen, device=dev) <= self.prob
        noise = torch.randn(shape, generator=gen, device=dev)
        if math.isinf(self.magnitude_std):
            mag = torch.rand(shape, generator=gen, device=dev) * self.magnitude
        else:
            mag = self.magnitude + self.magnitude_std * noise
        mag = torch.clamp(mag, 0, self.magnitude_max)
        negate = torch.rand(shape, generator=gen, device=dev) > 0.5
        bicubic = torch.rand(shape, generator=gen, device=dev) < 0.5
        return Draws(op, apply, mag, negate, bicubic)

    def apply(self, x: Tensor, d: Draws) -> Tensor:
        """``x`` uint8 (B, 3, H, W); ``d`` drawn for these B images.

        Per layer the images are sorted into buckets (op, interpolation; skipped last) and each bucket
        is transformed as one batch: one host sync per layer for the bucket sizes, no per-image loop.
        """
        fill = torch.tensor(self.fill, dtype=torch.float32, device=x.device)
        _, _, h, w = x.shape
        skip = 2 * len(self.ops)
        for layer in range(self.num_ops):
            xf = x.float()
            op, mag, neg, cub = d.op[layer], d.magnitude[layer], d.negate[layer], d.bicubic[layer]
            key = torch.where(d.apply[layer], op * 2 + cub.long(), skip)
            order = torch.argsort(key, stable=True)
            sizes = torch.bincount(key, minlength=skip + 1).tolist()
            parts, at = [], 0
            for k, size in enumerate(sizes):
                idx, at = order[at : at + size], at + size
                part = xf[idx]
                if size and k < skip:
                    name = self.ops[k // 2]
                    level = LEVELS.get(name)
                    arg = level(mag[idx], neg[idx], self.translate_pct) if level is not None else mag[idx]
                    if name in GEOMETRIC:
                        part = warp(part, affine(name, arg, h, w), bool(k % 2), fill)
                    else:
                        part = COLOUR_OPS[name](part, arg)
                parts.append(part)
            out = torch.empty_like(xf)
            out[order] = torch.cat(parts)
            x = out.to(torch.uint8)
        return x

    def __call__(self, x: Tensor, gen: torch.Generator, n_global: int | None = None, sl: slice = slice(None)) -> Tensor:
        """Draw for ``n_global`` images (the global batch) and apply this rank's slice ``sl``."""
        return self.apply(x, self.draw(n_global or x.shape[0], gen)[sl])
