"""Checks every loader runs on what it read (fresh or cached): sizes, shapes and label ranges."""

from __future__ import annotations

import numpy as np

from ..errors import BenchError
from .cache import Decoded


def check_decoded(
    d: Decoded,
    where: str,
    num_classes: dict[str, int],
    image_shape: tuple[int, int, int],
    sizes: tuple[int, int] | None,
    how_to_get: str,
    dataset: str = "CIFAR-100",
    verify_option: str = "verify_sizes",
) -> None:
    """Raise a one-line BenchError naming ``where`` and how to get good data when anything is off."""
    for split, x, labels in (("train", d.train_x, d.train_labels), ("test", d.test_x, d.test_labels)):
        if x.dtype != np.uint8 or x.ndim != 4 or tuple(x.shape[1:]) != image_shape:
            raise BenchError(
                f"{where}: {split} images are {x.dtype} {tuple(x.shape)}, expected uint8 "
                f"(N, {', '.join(map(str, image_shape))}); the files look wrong: {how_to_get}"
            )
        for kind, y in labels.items():
            if y.shape != (x.shape[0],):
                raise BenchError(
                    f"{where}: {split} has {x.shape[0]} images but {y.shape[0]} {kind} labels; "
                    f"the files are truncated or corrupt: {how_to_get}"
                )
            n = num_classes[kind]
            if y.size and (y.min() < 0 or y.max() >= n):
                raise BenchError(
                    f"{where}: {split} {kind} labels span {int(y.min())}..{int(y.max())}, "
                    f"expected 0..{n - 1}; the files are corrupt or not {dataset}: {how_to_get}"
                )
    if sizes is not None:
        found = (d.train_x.shape[0], d.test_x.shape[0])
        if found != tuple(sizes):
            raise BenchError(
                f"{where}: found {found[0]} train / {found[1]} test images, expected {sizes[0]} / "
                f"{sizes[1]}; the download is incomplete or truncated: {how_to_get} "
                f"(set {verify_option} = false in the data table only for a deliberately smaller copy)"
            )
