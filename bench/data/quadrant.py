"""The controls' synthetic task: which quadrant holds a bright square (``synthetic-quadrant``).

16x16 images, 4 classes. The label is the quadrant (top-left, top-right, bottom-left, bottom-right)
that holds a bright 4x4 square, placed uniformly inside it: a positional cue. Every image also
carries a faint class texture repeated over the whole image at a random offset (``texture``:
"tiles", a random 4x4 +-1 tile per class, or "stripes", 2-pixel stripes of period 4 in one of four
orientations per class, which one 3x3 filter reads): a local cue, which names the label with probability ``texture_reliability`` and one of the three
other classes, uniformly, otherwise. A model that cannot see position (a CNN with circular padding
and global average pooling: every quadrant is an 8-pixel circular shift of another, and the
texture's period divides 8) can only read the texture, so its accuracy is capped near
``texture_reliability``; a model with position embeddings can learn the square and approach 100%,
given enough data. That makes the CNN-wins-small, ViT-wins-large crossover known by construction
(``suites/controls.toml``, docs/CONTROLS.md).
"""

from __future__ import annotations

import numpy as np

from .types import DataBundle, ImageArrays

SIZE = 16
QUAD = SIZE // 2
SQUARE = 4
TILE = 4  # divides QUAD, so an 8-pixel circular shift maps the texture onto a texture of the same class
CLASSES = 4
NOISE = 0.15  # pixel noise sd (image values in 0..1 before the random background level)


def _tiles(seed: int) -> np.ndarray:
    """One +-1 4x4 tile per class, distinct under every circular shift of each other."""
    rng = np.random.default_rng([seed, 0x0AD])
    while True:
        tiles = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(CLASSES, TILE, TILE))
        shifts = {
            c: {np.roll(tiles[c], (a, b), (0, 1)).tobytes() for a in range(TILE) for b in range(TILE)}
            for c in range(CLASSES)
        }
        if all(not (shifts[c] & shifts[d]) for c in range(CLASSES) for d in range(c)):
            return tiles


def _stripes() -> np.ndarray:
    """Per class a 4x4 +-1 period of 2-pixel stripes: horizontal, vertical, diagonal, anti-diagonal.
    Each is periodic in 4 along both axes and no circular shift of one is another."""
    i, j = np.mgrid[0:TILE, 0:TILE]
    phases = (i, j, i + j, i - j)
    return np.stack([np.where(p % TILE < TILE // 2, 1.0, -1.0) for p in phases]).astype(np.float32)


TEXTURES = ("tiles", "stripes")


def _render(
    labels: np.ndarray,
    tiles: np.ndarray,
    rng: np.random.Generator,
    reliability: float,
    texture_contrast: float,
    square_contrast: float,
) -> tuple[np.ndarray, np.ndarray]:
    n = labels.shape[0]
    other = (labels + rng.integers(1, CLASSES, n)) % CLASSES  # uniform over the three other classes
    texture = np.where(rng.random(n) < reliability, labels, other)
    off = rng.integers(0, TILE, (n, 2))
    rows = (np.arange(SIZE)[None, :] + off[:, :1]) % TILE
    cols = (np.arange(SIZE)[None, :] + off[:, 1:]) % TILE
    img = 0.5 * texture_contrast * tiles[texture[:, None, None], rows[:, :, None], cols[:, None, :]]
    corner = np.stack([labels // 2, labels % 2], 1) * QUAD + rng.integers(0, QUAD - SQUARE + 1, (n, 2))
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    inside = (
        (ys[None] >= corner[:, :1, None])
        & (ys[None] < corner[:, :1, None] + SQUARE)
        & (xs[None] >= corner[:, 1:, None])
        & (xs[None] < corner[:, 1:, None] + SQUARE)
    )
    img = img + square_contrast * inside + rng.normal(0, NOISE, img.shape)
    level = rng.uniform(0.2, 0.4, (n, 1, 1))
    gray = np.clip(level + img, 0, 1)
    x = np.repeat(np.rint(gray * 255).astype(np.uint8)[..., None], 3, axis=3)
    return x, texture


def make_quadrant(
    n_train: int = 4096,
    n_test: int = 1000,
    seed: int = 0,
    texture_reliability: float = 0.8,
    texture_contrast: float = 0.5,
    square_contrast: float = 1.0,
    texture: str = "tiles",
) -> DataBundle:
    """Balanced train/test splits; identical arrays for identical arguments (options checked by the registry)."""
    tiles = _stripes() if texture == "stripes" else _tiles(seed)
    splits, agree = [], []
    for split_id, n in ((1, n_train), (2, n_test)):
        rng = np.random.default_rng([seed, 0x0AD, split_id])
        labels = rng.permutation(np.arange(n) % CLASSES).astype(np.int64)
        x, shown = _render(labels, tiles, rng, texture_reliability, texture_contrast, square_contrast)
        splits.append(ImageArrays(x, labels))
        agree.append(float(np.mean(shown == labels)))
    meta = {
        "source": "synthetic-quadrant",
        "num_classes": CLASSES,
        "train_size": n_train,
        "test_size": n_test,
        "generator_seed": seed,
        "image_size": SIZE,
        "texture": texture,
        "texture_reliability": texture_reliability,
        "texture_agrees_test": round(agree[1], 4),  # the texture-only ceiling on this test set
        # the training split's own per-channel statistics (gray images: three equal channels)
        "mean": [round(float(splits[0].x.mean()) / 255, 4)] * 3,
        "std": [round(float(splits[0].x.std()) / 255, 4)] * 3,
    }
    return DataBundle(splits[0], splits[1], CLASSES, meta)
