"""Per-model Fourier profile and the JSON summary a run record carries (claims C3, C4).

``fourier_summary(model, images)`` is what the training core or runner calls at the end of a
run; its dict goes to ``record["analysis"]["fourier"]``, so a check can read e.g.
``analysis.fourier.hf_delta_mean`` or ``analysis.fourier.hf_delta.3`` (one value per site).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn

from .capture import KINDS, MIXERS, FeatureCapture, Site
from .fourier import EPS, diagonal_log_amplitude, frequencies

SUMMARY_SCHEMA = 1


@dataclass
class BlockProfile:
    """Relative log amplitude of one site, averaged over every image given."""

    site: Site
    index: int
    depth: float  # index / (sites - 1): docs/METHOD.md section 5 step 5
    channels: int
    map_size: int
    freq: torch.Tensor  # units of pi
    delta: torch.Tensor

    @property
    def hf_delta(self) -> float:
        """Delta at the highest plotted frequency, ``freq[-1]`` (not pi: see fourier.py)."""
        return float(self.delta[-1])


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def fourier_profile(model: nn.Module, images: torch.Tensor, batch_size: int = 64) -> list[BlockProfile]:
    """Profiles of every capture site; batches are weighted by size, so the result equals one big batch."""
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"images must be a non-empty preprocessed batch (N, 3, H, W), got shape {tuple(images.shape)}")
    device, was_training = _model_device(model), model.training
    model.eval()
    sums: list[torch.Tensor] | None = None
    shapes: list[tuple[int, int]] = []
    try:
        with FeatureCapture(model) as cap:
            for i in range(0, images.shape[0], batch_size):
                batch = images[i : i + batch_size].to(device)
                cap.reset()
                model(batch)
                caught = cap.collect()
                diags = [diagonal_log_amplitude(c.fmap) * batch.shape[0] for c in caught]
                sums = diags if sums is None else [s + d for s, d in zip(sums, diags)]
                shapes = [(c.fmap.shape[1], c.fmap.shape[-1]) for c in caught]
            sites = cap.sites
    finally:
        model.train(was_training)
    assert sums is not None
    n, last = images.shape[0], max(len(sites) - 1, 1)
    out = []
    for i, (site, s, (ch, size)) in enumerate(zip(sites, sums, shapes)):
        diag = s / n
        out.append(BlockProfile(site, i, i / last, ch, size, frequencies(size), diag - diag[0]))
    return out


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def summarize(profiles: list[BlockProfile], n_images: int, image_size: int) -> dict[str, Any]:
    """JSON-able summary. ``hf_change`` is a site's hf_delta minus the previous site's (same map size only):
    C3 predicts it is negative after attention and positive after convolutions."""
    blocks: list[dict[str, Any]] = []
    prev: BlockProfile | None = None
    for p in profiles:
        change: float | None = p.hf_delta - prev.hf_delta if prev is not None and prev.map_size == p.map_size else None
        blocks.append(
            {
                "name": p.site.name,
                "label": p.site.label,
                "kind": p.site.kind,
                "attention": p.site.attention,
                "index": p.index,
                "depth": p.depth,
                "channels": p.channels,
                "map_size": p.map_size,
                "freq": [float(f) for f in p.freq],
                "delta": [float(d) for d in p.delta],
                "hf_freq": float(p.freq[-1]),
                "hf_delta": p.hf_delta,
                "hf_change": change,
            }
        )
        prev = p
    return {
        "schema": SUMMARY_SCHEMA,
        "procedure": f"docs/METHOD.md section 5: mean over images and channels of log(|fft2| + {EPS:g}), "
        "fftshifted, half diagonal from the centre, minus its zero-frequency value; freq in units of pi",
        "images": n_images,
        "image_size": image_size,
        "blocks": blocks,
        "depth": [b["depth"] for b in blocks],
        "hf_delta": [b["hf_delta"] for b in blocks],
        "hf_delta_mean": _mean([b["hf_delta"] for b in blocks]),
        "hf_change_mean": {
            k: _mean([b["hf_change"] for b in blocks if b["kind"] == k and b["hf_change"] is not None]) for k in KINDS
        },
        # C3/C4: what the token mixers (conv or attention, whichever phase) do to the high-frequency
        # amplitude, each measured against its own input (the first one against site 0, the
        # embedding), every mixer weighted equally
        "hf_change_mixer_mean": _mean(
            [b["hf_change"] for b in blocks if b["kind"] in MIXERS and b["hf_change"] is not None]
        ),
    }


def fourier_summary(model: nn.Module, images: torch.Tensor, batch_size: int = 64) -> dict[str, Any]:
    """Profile ``model`` on preprocessed ``images`` (N, 3, H, W) and return the record field."""
    profiles = fourier_profile(model, images, batch_size)
    return summarize(profiles, int(images.shape[0]), int(images.shape[-1]))
