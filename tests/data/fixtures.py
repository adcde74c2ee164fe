"""Tiny datasets written in the real on-disk formats (torchvision pickles, hub parquet, ImageFolder)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FINE_NAMES = [f"fine{i:02d}" for i in range(100)]
COARSE_NAMES = [f"coarse{i:02d}" for i in range(20)]


@dataclass
class TinyCifar:
    train_x: np.ndarray
    train_fine: np.ndarray
    train_coarse: np.ndarray
    test_x: np.ndarray
    test_fine: np.ndarray
    test_coarse: np.ndarray


def tiny_cifar(seed: int = 0, n_classes: int = 10, per_class: int = 6, test_per_class: int = 2) -> TinyCifar:
    """Random 32x32 images; fine labels 0..n_classes-1 balanced and shuffled, coarse = fine // 5."""
    rng = np.random.default_rng(seed)
    out = []
    for per in (per_class, test_per_class):
        fine = rng.permutation(np.repeat(np.arange(n_classes), per)).astype(np.int64)
        out += [rng.integers(0, 256, (fine.size, 32, 32, 3), dtype=np.uint8), fine, fine // 5]
    return TinyCifar(*out)


def write_pickles(root: Path, d: TinyCifar, fine_override: np.ndarray | None = None) -> Path:
    """``root/cifar-100-python/{train,test,meta}`` with the real keys (bytes, python-2 style pickles)."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    for name, x, fine, coarse in (
        ("train", d.train_x, d.train_fine, d.train_coarse),
        ("test", d.test_x, d.test_fine, d.test_coarse),
    ):
        if name == "train" and fine_override is not None:
            fine = fine_override
        obj = {
            b"filenames": [f"img_{i}.png".encode() for i in range(len(x))],
            b"batch_label": f"{name} batch 1 of 1".encode(),
            b"fine_labels": [int(v) for v in fine],
            b"coarse_labels": [int(v) for v in coarse],
            b"data": x.transpose(0, 3, 1, 2).reshape(len(x), 3072),
        }
        (folder / name).write_bytes(pickle.dumps(obj, protocol=2))
    meta = {
        b"fine_label_names": [n.encode() for n in FINE_NAMES],
        b"coarse_label_names": [n.encode() for n in COARSE_NAMES],
    }
    (folder / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_parquet(root: Path, d: TinyCifar) -> Path:
    """The uoft-cs/cifar100 hub layout: ``cifar100/{train,test}-00000-of-00001.parquet`` with PNG bytes."""
    import datasets
    from PIL import Image

    feats = datasets.Features(
        {
            "img": datasets.Image(),
            "fine_label": datasets.ClassLabel(names=FINE_NAMES),
            "coarse_label": datasets.ClassLabel(names=COARSE_NAMES),
        }
    )
    folder = root / "cifar100"
    folder.mkdir(parents=True, exist_ok=True)
    for name, x, fine, coarse in (
        ("train", d.train_x, d.train_fine, d.train_coarse),
        ("test", d.test_x, d.test_fine, d.test_coarse),
    ):
        ds = datasets.Dataset.from_dict(
            {"img": [Image.fromarray(a) for a in x], "fine_label": fine.tolist(), "coarse_label": coarse.tolist()},
            features=feats,
        )
        ds.to_parquet(str(folder / f"{name}-00000-of-00001.parquet"))
    return root


def write_image_folder(
    root: Path,
    classes: tuple[str, ...] = ("n001", "n002", "n003"),
    per_class: int = 4,
    val_per_class: int = 2,
    seed: int = 0,
) -> Path:
    """``root/{train,val}/<class>/*`` of real JPEG and PNG files of varying sizes, names written unsorted."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for split, n in (("train", per_class), ("val", val_per_class)):
        for c in classes:
            d = root / split / c
            d.mkdir(parents=True, exist_ok=True)
            for i in rng.permutation(n):
                h, w = (int(v) for v in rng.integers(40, 80, 2))
                img = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
                ext = ".JPEG" if i % 2 == 0 else ".png"
                img.save(d / f"{c}_{i:03d}{ext}")
    return root


# ---- Fashion-MNIST: IDX files ---------------------------------------------------------------

FMNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass
class TinyFashion:
    train_x: np.ndarray  # (N, 28, 28) uint8
    train_y: np.ndarray  # (N,) int64
    test_x: np.ndarray
    test_y: np.ndarray


def tiny_fashion(seed: int = 0, per_class: int = 4, test_per_class: int = 1) -> TinyFashion:
    """Random 28x28 grey images; 10 classes, balanced and shuffled."""
    rng = np.random.default_rng(seed)
    out = []
    for per in (per_class, test_per_class):
        y = rng.permutation(np.repeat(np.arange(10), per)).astype(np.int64)
        out += [rng.integers(0, 256, (y.size, 28, 28), dtype=np.uint8), y]
    return TinyFashion(*out)


def idx_bytes(arr: np.ndarray) -> bytes:
    """The IDX format: magic 0x0000 08 NDIM (unsigned bytes), big-endian int32 dimensions, the data."""
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


def write_idx_folder(folder: Path, d: TinyFashion, gz: bool = True) -> Path:
    """The four files as Debian ships them (.gz) or as torchvision leaves them in FashionMNIST/raw (plain)."""
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    for split, (images, labels) in FMNIST_FILES.items():
        x, y = (d.train_x, d.train_y) if split == "train" else (d.test_x, d.test_y)
        for name, arr in ((images, x), (labels, y.astype(np.uint8))):
            data = idx_bytes(arr)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
            else:
                (folder / name).write_bytes(data)
    return folder
