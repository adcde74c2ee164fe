"""Containers passed from the data layer to the training core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BenchError


@dataclass(frozen=True)
class ImageArrays:
    """A small-image split held in memory: ``x`` uint8 (N, H, W, 3), ``y`` int64 (N,)."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if self.x.dtype != np.uint8 or self.x.ndim != 4 or self.x.shape[-1] != 3:
            raise ValueError(f"images must be uint8 (N, H, W, 3), got {self.x.dtype} {self.x.shape}")
        if self.y.shape != (self.x.shape[0],):
            raise ValueError(f"labels must have shape ({self.x.shape[0]},), got {self.y.shape}")

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, index: np.ndarray) -> ImageArrays:
        return ImageArrays(self.x[index], self.y[index])


@dataclass
class DataBundle:
    """Train and test splits, the class count, and provenance (source, sizes, subset, hashes)."""

    train: Any  # ImageArrays, or a torch Dataset for streamed (ImageNet-size) data
    test: Any
    num_classes: int
    meta: dict[str, Any] = field(default_factory=dict)

    def normalization(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-channel (mean, std) the source states in ``meta``; a source without them is an error,
        never a silent CIFAR default (Fashion-MNIST normalised with CIFAR's colours would train on
        shifted inputs and nobody would see it)."""
        mean, std = self.meta.get("mean"), self.meta.get("std")
        if not mean or not std or len(mean) != len(std):
            source = self.meta.get("source", "?")
            raise BenchError(
                f"data source {source!r} states no per-channel mean/std in its meta; add them to its loader"
            )
        return tuple(float(v) for v in mean), tuple(float(v) for v in std)
