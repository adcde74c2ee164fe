"""Relative log amplitude of feature maps (docs/METHOD.md section 5, after Park & Kim 2022).

Convolutions raise the high-frequency amplitude of feature maps and self-attention lowers it
(claim C3); this module measures that, one number per frequency along the diagonal.

Axis convention: after ``fftshift`` the zero frequency sits at index ``H // 2`` for odd and even
``H``, and index ``H // 2 + k`` holds frequency ``k`` cycles per ``H`` pixels, i.e. ``2 pi k / H``
radians per pixel. The half diagonal ``(H//2 + k, H//2 + k)`` for ``k = 0 .. H - H//2 - 1`` is
therefore the true frequency ``2k/H`` (in units of pi) on each axis; its last point is
``(H/2 - 1) * 2 pi / H`` for even ``H`` (0.875 pi on 16x16 maps), never pi itself.
"""

from __future__ import annotations

import torch

EPS = 1e-6  # inside the log, as in docs/METHOD.md section 5 step 1


def _check_map(fmap: torch.Tensor) -> None:
    if not isinstance(fmap, torch.Tensor):
        raise TypeError(f"feature map must be a torch.Tensor, got {type(fmap).__name__}")
    if fmap.ndim != 4:
        raise ValueError(f"feature map must be (B, C, H, W), got shape {tuple(fmap.shape)}")
    if fmap.shape[-1] != fmap.shape[-2]:
        raise ValueError(f"feature map must be square (H == W) to read its diagonal, got shape {tuple(fmap.shape)}")
    if fmap.is_complex():
        raise ValueError(f"feature map must be real, got dtype {fmap.dtype}")
    if fmap.shape[0] == 0 or fmap.shape[1] == 0:
        raise ValueError(f"feature map has no images or channels: shape {tuple(fmap.shape)}")


def frequencies(size: int) -> torch.Tensor:
    """True frequency (units of pi) of the half-diagonal points of a ``size`` x ``size`` map."""
    return 2.0 * torch.arange(size - size // 2, dtype=torch.float64) / size


def diagonal_log_amplitude(fmap: torch.Tensor) -> torch.Tensor:
    """Mean over images and channels of log(|FFT2| + eps) on the half diagonal (float64, unshifted by DC).

    Kept separate from ``relative_log_amplitude`` so callers can average over many batches
    (weighting by batch size) before subtracting the DC value, which equals one big batch.
    """
    _check_map(fmap)
    h = fmap.shape[-1]
    x = fmap.detach().to(torch.float32 if fmap.dtype in (torch.float16, torch.bfloat16) else fmap.dtype)
    amp = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1)).abs()
    logamp = torch.log(amp + EPS).to(torch.float64).mean(dim=(0, 1))  # (H, W)
    idx = torch.arange(h // 2, h, device=logamp.device)
    return logamp[idx, idx].cpu()


def relative_log_amplitude(fmap: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(freq, delta): true frequency in units of pi, and log amplitude relative to zero frequency.

    ``fmap`` is a real (B, C, H, W) tensor with H == W; both outputs have length ``H - H // 2``
    and ``delta[0] == 0``.
    """
    diag = diagonal_log_amplitude(fmap)
    return frequencies(fmap.shape[-1]), diag - diag[0]
