"""Class-balanced training subsets for the data-scale curves."""

from __future__ import annotations

import hashlib

import numpy as np

from .types import DataBundle, ImageArrays


def balanced_indices(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Seeded draw of floor(fraction * n_c) indices from each class c, returned sorted."""
    rng = np.random.default_rng([seed, 0xF4AC])
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        k = int(np.floor(fraction * idx.size))
        keep.append(np.sort(rng.choice(idx, size=k, replace=False)))
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def index_hash(index: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(index, dtype=np.int64).tobytes()).hexdigest()


def apply_fraction(bundle: DataBundle, fraction: float, seed: int = 0) -> DataBundle:
    train: ImageArrays = bundle.train
    index = balanced_indices(train.y, fraction, seed)
    meta = dict(bundle.meta, fraction=fraction, train_size=int(index.size), subset_sha256=index_hash(index))
    return DataBundle(train.take(index), bundle.test, bundle.num_classes, meta)
