"""ImageNet-size data as torch Datasets that decode and resize on the fly (too big for arrays).

Items are ``(uint8 tensor (3, S, S), label)``, so the training core normalises them exactly as it
does ImageArrays. Both datasets expose ``y`` (labels as int64 numpy), ``sort_keys`` (file names,
for ConViT's subset rule) and ``take(index)``, the same interface ``subsets.py`` uses for arrays.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import BenchError
from .types import DataBundle

EXTENSIONS = (".jpeg", ".jpg", ".png")
HUB_REPO = "ILSVRC/imagenet-1k"
FOLDER_HOW = (
    "get ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar from https://image-net.org/download-images, "
    "extract train/ to one folder per class and sort val/ into class folders with "
    "https://raw.githubusercontent.com/soumith/imagenetval/master/valprep.sh"
)
TRANSFORMS = ("rrc", "center")
MEAN_STD = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}  # torchvision's ImageNet statistics


def build_transform(image_size: int, train: bool, kind: str) -> Callable[[Any], torch.Tensor]:
    """Eval: resize to size*256/224 then centre crop. Train ``rrc``: RandomResizedCrop + flip (DeiT/ConViT)."""
    from torchvision import transforms as T

    if kind not in TRANSFORMS:
        raise BenchError(f"train_transform {kind!r} is not one of: {', '.join(TRANSFORMS)}")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or not 8 <= image_size <= 4096:
        raise BenchError(f"image_size = {image_size!r}: must be an integer in 8..4096 (pixels, e.g. 224)")
    if train and kind == "rrc":
        steps = [T.RandomResizedCrop(image_size), T.RandomHorizontalFlip()]
    else:
        steps = [T.Resize(round(image_size * 256 / 224)), T.CenterCrop(image_size)]
    return T.Compose(steps + [T.PILToTensor()])


def _open_rgb(path: Path) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise BenchError(
            f"{path}: not a decodable image ({type(exc).__name__}); the file is truncated or "
            f"corrupt: replace it from the original archive"
        ) from None


class FolderImages(torch.utils.data.Dataset):
    """Images listed from an ImageFolder tree (relative paths, sorted), decoded when indexed."""

    def __init__(self, root: Path, relpaths: Sequence[str], labels: np.ndarray, transform: Callable | None) -> None:
        self.root, self.relpaths, self.labels, self.transform = root, list(relpaths), labels, transform

    def __len__(self) -> int:
        return len(self.relpaths)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        img = _open_rgb(self.root / self.relpaths[i])
        return (self.transform(img) if self.transform else img), int(self.labels[i])

    @property
    def y(self) -> np.ndarray:
        return self.labels

    @property
    def sort_keys(self) -> list[str]:
        return [p.rsplit("/", 1)[-1] for p in self.relpaths]

    def take(self, index: np.ndarray) -> FolderImages:
        return FolderImages(self.root, [self.relpaths[i] for i in index], self.labels[index], self.transform)


def list_split(split_dir: Path, classes: list[str] | None) -> tuple[list[str], np.ndarray, list[str]]:
    """(relative paths, labels, classes) in sorted class then sorted filename order."""
    if not split_dir.is_dir():
        raise BenchError(
            f"imagenet-folder: folder {split_dir} not found; expected {split_dir.parent}/train/ and "
            f"{split_dir.parent}/val/ with one folder per class; {FOLDER_HOW}"
        )
    entries = sorted(os.scandir(split_dir), key=lambda e: e.name)
    loose = [e.name for e in entries if e.is_file() and e.name.lower().endswith(EXTENSIONS)]
    dirs = [e.name for e in entries if e.is_dir()]
    if loose:
        raise BenchError(
            f"imagenet-folder: {split_dir} holds {len(loose)} image(s) directly (e.g. {loose[0]}); "
            f"wrong layout, expected one folder per class; {FOLDER_HOW}"
        )
    if classes is None:
        classes = dirs
    elif set(dirs) != set(classes):
        extra = sorted(set(dirs) - set(classes))[:3] or sorted(set(classes) - set(dirs))[:3]
        raise BenchError(
            f"imagenet-folder: the class folders of {split_dir} differ from train/ (e.g. {extra}); "
            f"expected the same class folders in train/ and val/; {FOLDER_HOW}"
        )
    paths, labels = [], []
    for c, name in enumerate(classes):
        files = sorted(
            e.name for e in os.scandir(split_dir / name) if e.is_file() and e.name.lower().endswith(EXTENSIONS)
        )
        if not files:
            raise BenchError(
                f"imagenet-folder: class folder {split_dir / name} has no .JPEG/.jpg/.png images; {FOLDER_HOW}"
            )
        paths += [f"{name}/{f}" for f in files]
        labels += [c] * len(files)
    return paths, np.asarray(labels, dtype=np.int64), classes


def load_imagenet_folder(
    root: str | None = None,
    image_size: int = 224,
    num_classes: int = 1000,
    train_transform: str = "rrc",
    val_dir: str = "val",
) -> DataBundle:
    """ImageNet from a local ImageFolder tree ``ROOT/train/<class>/*`` and ``ROOT/val/<class>/*``."""
    from .cifar import data_root

    base = Path(root).expanduser() if root else data_root() / "imagenet"
    if not base.is_dir():
        raise BenchError(
            f"imagenet-folder: folder {base} not found (expected {base}/train/ and {base}/{val_dir}/ "
            f"with one folder per class); {FOLDER_HOW}"
        )
    tr_paths, tr_y, classes = list_split(base / "train", None)
    if len(classes) != num_classes:
        raise BenchError(
            f"imagenet-folder: {base}/train has {len(classes)} class folders, expected {num_classes}; "
            f"the tree is incomplete (set num_classes for a deliberately smaller tree); {FOLDER_HOW}"
        )
    te_paths, te_y, _ = list_split(base / val_dir, classes)
    train = FolderImages(base / "train", tr_paths, tr_y, build_transform(image_size, True, train_transform))
    test = FolderImages(base / val_dir, te_paths, te_y, build_transform(image_size, False, train_transform))
    meta = {
        "source": "imagenet-folder",
        "root": str(base),
        "num_classes": num_classes,
        "train_size": len(train),
        "test_size": len(test),
        "image_size": image_size,
        "train_transform": train_transform,
        "cache": "n/a (decoded per item)",
        **MEAN_STD,
    }
    return DataBundle(train, test, num_classes, meta)


class HubImages(torch.utils.data.Dataset):
    """A map-style hub dataset (``image``, ``label``), decoded when indexed."""

    def __init__(self, ds: Any, transform: Callable | None) -> None:
        self.ds, self.transform = ds, transform

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        row = self.ds[int(i)]
        img = row["image"].convert("RGB")
        return (self.transform(img) if self.transform else img), int(row["label"])

    @property
    def y(self) -> np.ndarray:
        return self.ds.select_columns(["label"]).with_format("arrow")[:].column("label").to_numpy().astype(np.int64)

    @property
    def sort_keys(self) -> list[str]:
        """The stored file names (image ``path``); row order where the hub stores none."""
        col = self.ds.select_columns(["image"]).with_format("arrow")[:].column("image")
        paths = [p for chunk in col.chunks for p in chunk.field("path").to_pylist()]
        return [p if p is not None else f"{i:09d}" for i, p in enumerate(paths)]

    def take(self, index: np.ndarray) -> HubImages:
        return HubImages(self.ds.select(index), self.transform)


class StreamedHubImages(torch.utils.data.IterableDataset):
    """A streamed hub split: nothing is downloaded ahead; whole split only (no subsets)."""

    def __init__(self, ds: Any, transform: Callable | None, length: int | None) -> None:
        self.ds, self.transform, self.length = ds, transform, length

    def __iter__(self):
        for row in self.ds:
            img = row["image"].convert("RGB")
            yield (self.transform(img) if self.transform else img), int(row["label"])


def load_imagenet_hub(
    repo: str = HUB_REPO,
    revision: str | None = None,
    streaming: bool = True,
    image_size: int = 224,
    num_classes: int = 1000,
    train_transform: str = "rrc",
) -> DataBundle:
    """ImageNet-1k from the hub (gated: needs ``huggingface-cli login``); streamed unless streaming = false."""
    from .hub import hub_load

    splits = {}
    for split in ("train", "validation"):
        splits[split] = hub_load(repo, revision=revision, split=split, streaming=streaming, gated=True)
    transforms = {s: build_transform(image_size, s == "train", train_transform) for s in splits}
    data: dict[str, torch.utils.data.Dataset]
    if streaming:
        info = getattr(splits["train"], "info", None)
        sizes = {s: getattr((info.splits or {}).get(s), "num_examples", None) if info else None for s in splits}
        data = {s: StreamedHubImages(splits[s], transforms[s], sizes[s]) for s in splits}
    else:
        hub = {s: HubImages(splits[s], transforms[s]) for s in splits}
        data, sizes = dict(hub), {s: len(hub[s]) for s in splits}
    meta = {
        "source": "imagenet-hf",
        "repo": repo,
        "revision": revision,
        "streaming": streaming,
        "num_classes": num_classes,
        "train_size": sizes["train"],
        "test_size": sizes["validation"],
        "image_size": image_size,
        "train_transform": train_transform,
        "cache": "Hugging Face cache",
        **MEAN_STD,
    }
    return DataBundle(data["train"], data["validation"], num_classes, meta)
