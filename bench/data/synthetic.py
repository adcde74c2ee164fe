"""The built-in synthetic dataset: deterministic, 32x32 RGB, spatial structure to learn.

Each class is the sum of three cues: a sinusoidal grating (horizontal or vertical stripes x C/2
spatial frequencies: a global cue), a class-specific 7x7 texture tiled at a random offset (a
local cue every patch sees), and a class-specific 5x5 motif at a random position. Every class is
invariant under horizontal flips and translations, so the standard crop/flip augmentation keeps
labels valid. Phase, motif position, both colours and contrast are
drawn per image independently of the class, so neither colour statistics nor a fixed pixel
template separates the classes: a model has to learn orientation and local shape.
"""

from __future__ import annotations

import numpy as np

from .cifar import MEAN_STD as CIFAR_MEAN_STD
from .types import DataBundle, ImageArrays

MOTIF = 5
TILE = 7  # texture period in pixels: aligned with neither patch 2 nor patch 4


def _class_table(num_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, 0x5EED])
    c = np.arange(num_classes)
    angles = np.where(c % 2 == 0, 0.0, np.pi / 2)  # horizontal or vertical stripes
    n_freq = max(1, (num_classes + 1) // 2)
    freqs: np.ndarray = np.geomspace(1.5, 7.0, n_freq)[c // 2] * 2 * np.pi / 32  # cycles per 32 px
    half = (rng.random((num_classes, MOTIF, MOTIF // 2 + 1)) > 0.5).astype(np.float32) * 2 - 1
    motifs = np.concatenate([half, half[:, :, -2::-1]], axis=2)  # left-right symmetric
    thalf = (rng.random((num_classes, TILE, TILE // 2 + 1)) > 0.5).astype(np.float32) * 2 - 1
    tiles = np.concatenate([thalf, thalf[:, :, -2::-1]], axis=2)  # left-right symmetric
    return angles, freqs, motifs, tiles


def _render(
    labels: np.ndarray,
    size: int,
    table: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    angles, freqs, motifs, tiles = table
    n = labels.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    theta = angles[labels] + rng.normal(0, 0.05, n)
    phase = rng.uniform(0, 2 * np.pi, (n,))
    proj = np.cos(theta)[:, None, None] * xx + np.sin(theta)[:, None, None] * yy
    pattern = 0.4 * np.sin(freqs[labels][:, None, None] * proj + phase[:, None, None])
    off = rng.integers(0, TILE, (n, 2))
    rows = (np.arange(size)[None, :] + off[:, :1]) % TILE  # (n, size)
    cols = (np.arange(size)[None, :] + off[:, 1:]) % TILE
    pattern += 0.4 * tiles[labels[:, None, None], rows[:, :, None], cols[:, None, :]]
    pos = rng.integers(0, size - MOTIF + 1, (n, 2))
    for i in range(n):  # one small slice per image: cheap at the sizes the smoke tier uses
        r, c = pos[i]
        pattern[i, r : r + MOTIF, c : c + MOTIF] = motifs[labels[i]]
    pattern += rng.normal(0, 0.2, pattern.shape)
    contrast = rng.uniform(0.6, 1.0, (n, 1, 1, 1))
    bg = rng.uniform(0, 0.35, (n, 1, 1, 3))
    fg = bg + rng.uniform(0.5, 0.65, (n, 1, 1, 3))  # random colours, one polarity: fg brighter in every channel
    t = np.clip(0.5 + 0.5 * contrast * pattern[..., None], 0, 1)
    img = bg + (fg - bg) * t
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def make_synthetic(
    num_classes: int = 10, n_train: int = 2000, n_test: int = 1000, seed: int = 0, size: int = 32
) -> DataBundle:
    """Balanced train/test splits; identical arrays for identical arguments."""
    table = _class_table(num_classes, seed)
    splits = []
    for split_id, n in ((1, n_train), (2, n_test)):
        rng = np.random.default_rng([seed, split_id])
        labels = rng.permutation(np.arange(n) % num_classes).astype(np.int64)
        splits.append(ImageArrays(_render(labels, size, table, rng), labels))
    meta = {
        "source": "synthetic",
        "num_classes": num_classes,
        "train_size": n_train,
        "test_size": n_test,
        "generator_seed": seed,
        "image_size": size,
        # normalised with CIFAR-100's statistics, stated here (every smoke result so far trained so)
        **CIFAR_MEAN_STD,
    }
    return DataBundle(splits[0], splits[1], num_classes, meta)
