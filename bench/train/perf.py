"""Training throughput of the core against a plain PyTorch loop, measured side by side.

The core path is the code runs use (``Engine`` + ``DeviceData`` + ``DeviceAugment``): uint8
images on the device, batched crop/flip there, the device's precision/compile/fused defaults.
The plain path is what a user writes by hand: PIL images through torchvision transforms
(RandomCrop(pad 4), flip, ToTensor, Normalize) in a DataLoader, fp32, eager, the same model and
optimizer. Warm-up (and compilation) runs before the timed windows; each window is timed with
CUDA events on GPUs; the reported rate is the median over windows.

``augment="strong"`` gives the core the ViT recipe's augmentation (crop, flip, RandAugment
rand-m9-mstd0.5-inc1, mixup 0.8 / cutmix 1.0, as the suites' ``vit-strong``) and also times the
augmentation alone on the same batches, so its share of a training step is measured.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

from ..data.types import ImageArrays
from ..models import create_model
from .augment import CIFAR_MEAN, CIFAR_STD, DeviceAugment
from .distributed import DistInfo
from .engine import CoreOptions, Engine, fast_kernels, kernel_settings, resolve_options
from .feed import DeviceData
from .recipe import Recipe
from .timing import DeviceTimer


@dataclass
class PerfSettings:
    model: str
    device: str
    batch: int = 512
    steps: int = 20  # steps per timed window
    windows: int = 5
    warmup: int = 10  # untimed steps first (compilation, cudnn autotuning, allocator)
    compile: bool | None = None
    precision: str | None = None
    optimizer: str = "sgd"
    num_classes: int = 100
    image_size: int = 32
    plain_workers: int = 4
    seed: int = 0
    augment: str = "basic"  # basic: crop + flip; strong: + RandAugment, mixup/cutmix (vit-strong)


@dataclass
class PerfResult:
    loop: str
    images_per_s: float
    window_rates: list[float]
    ms_per_step: float
    engine: dict[str, Any] = field(default_factory=dict)


AUGMENTS: dict[str, dict[str, Any]] = {
    "basic": {"crop_pad": 4, "flip": True},
    "strong": {"crop_pad": 4, "flip": True, "randaugment": {"num_ops": 2, "magnitude": 9}, "mixup": 0.8, "cutmix": 1.0},
}


def recipe_for(s: PerfSettings) -> Recipe:
    lr = 0.1 if s.optimizer == "sgd" else 1e-3
    return Recipe.from_dict(
        {
            "optimizer": s.optimizer,
            "lr": lr,
            "epochs": 1,
            "batch_size": s.batch,
            "weight_decay": 5e-4 if s.optimizer == "sgd" else 0.05,
            "label_smoothing": 0.1 if s.augment == "strong" else 0.0,
            "augment": AUGMENTS[s.augment],
        }
    )


def random_images(s: PerfSettings) -> ImageArrays:
    """A few batches of random images (the loops cycle through them); content does not matter."""
    n = s.batch * min(s.warmup + s.steps * s.windows + 1, 8)
    rng = np.random.default_rng(s.seed)
    x = rng.integers(0, 256, (n, s.image_size, s.image_size, 3), dtype=np.uint8)
    return ImageArrays(x, rng.integers(0, s.num_classes, n).astype(np.int64))


def flops_per_image(model_name: str, num_classes: int, image_size: int, batch: int = 4) -> dict[str, float]:
    """Forward and forward+backward FLOPs per image from torch's FLOP counter (fp32, eager)."""
    model = create_model(model_name, num_classes=num_classes)
    x = torch.randn(batch, 3, image_size, image_size)
    with FlopCounterMode(display=False) as fwd:
        loss = model(x).sum()
    with FlopCounterMode(display=False) as bwd:
        loss.backward()
    f, b = fwd.get_total_flops(), bwd.get_total_flops()
    return {"forward": f / batch, "train": (f + b) / batch}


def timed(step: Callable[[], None], s: PerfSettings, device: torch.device) -> list[float]:
    """Images/s of each timed window after ``s.warmup`` untimed steps."""
    for _ in range(s.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    rates, timer = [], DeviceTimer(device)
    for _ in range(s.windows):
        timer.start()
        for _ in range(s.steps):
            step()
        rates.append(s.steps * s.batch / timer.stop())
    return rates


def _result(loop: str, rates: list[float], s: PerfSettings, engine: dict[str, Any]) -> PerfResult:
    med = statistics.median(rates)
    return PerfResult(loop, med, rates, 1000.0 * s.batch / med, engine)


def cycle(feed: DeviceData, s: PerfSettings) -> Iterator[Any]:
    """The device-resident batches, epoch after epoch."""
    for epoch in itertools.count():
        yield from feed.train_batches(s.seed, epoch, s.batch, 0, DistInfo())


def measure_core(s: PerfSettings, data: ImageArrays) -> PerfResult:
    """The core's loop, with the core's kernel settings (TF32, cuDNN autotuning on CUDA) for its duration."""
    with fast_kernels(torch.device(s.device)):
        return _measure_core(s, data)


def _measure_core(s: PerfSettings, data: ImageArrays) -> PerfResult:
    device = torch.device(s.device)
    torch.manual_seed(s.seed)
    recipe = recipe_for(s)
    opts = resolve_options(CoreOptions(compile=s.compile, precision=s.precision), device)
    engine = Engine(create_model(s.model, num_classes=s.num_classes), recipe, device, opts)
    aug = DeviceAugment(recipe.augment, s.num_classes, recipe.label_smoothing, device, s.seed, CIFAR_MEAN, CIFAR_STD)
    batches = cycle(DeviceData.from_arrays(data, device), s)

    def step() -> None:
        xb, yb, n, sl = next(batches)
        x, target, y = aug(xb, yb, n, sl)
        engine.train_step(x, target, y)

    info = {k: getattr(opts, k) for k in ("compile", "precision", "channels_last", "fused")}
    return _result("prs-bench core", timed(step, s, device), s, {**info, **kernel_settings()})


def measure_augment(s: PerfSettings, data: ImageArrays) -> PerfResult:
    """The core's augmentation alone (no model), on the same device-resident batches."""
    device = torch.device(s.device)
    torch.manual_seed(s.seed)
    recipe = recipe_for(s)
    aug = DeviceAugment(recipe.augment, s.num_classes, recipe.label_smoothing, device, s.seed, CIFAR_MEAN, CIFAR_STD)
    batches = cycle(DeviceData.from_arrays(data, device), s)

    def step() -> None:
        xb, yb, n, sl = next(batches)
        aug(xb, yb, n, sl)

    return _result("augmentation only", timed(step, s, device), s, {"augment": s.augment})


class PILArrays(Dataset):
    """uint8 arrays served as PIL images, the way torchvision's CIFAR dataset serves them."""

    def __init__(self, data: ImageArrays, transform: Callable[[Any], torch.Tensor]) -> None:
        self.data, self.transform = data, transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.data.x[i])), int(self.data.y[i])


def plain_loader(data: ImageArrays, s: PerfSettings, device: torch.device) -> Iterator[Any]:
    from torchvision import transforms as T

    tf = T.Compose(
        [
            T.RandomCrop(s.image_size, padding=4),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(CIFAR_MEAN, CIFAR_STD),
        ]
    )
    loader = DataLoader(
        PILArrays(data, tf),
        batch_size=s.batch,
        shuffle=True,
        drop_last=True,
        num_workers=s.plain_workers,
        pin_memory=device.type == "cuda",
    )
    return itertools.chain.from_iterable(itertools.repeat(loader))


def measure_plain(s: PerfSettings, data: ImageArrays) -> PerfResult:
    device = torch.device(s.device)
    torch.manual_seed(s.seed)
    recipe = recipe_for(s)
    model: nn.Module = create_model(s.model, num_classes=s.num_classes).to(device)
    opt_cls = torch.optim.SGD if s.optimizer == "sgd" else torch.optim.AdamW
    kw: dict[str, Any] = {"momentum": recipe.momentum} if s.optimizer == "sgd" else {}
    opt = opt_cls(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay, **kw)
    batches = plain_loader(data, s, device)

    def step() -> None:
        x, y = next(batches)
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    model.train()
    return _result(
        "plain PyTorch", timed(step, s, device), s, {"compile": False, "precision": "fp32", **kernel_settings()}
    )


def run_perf(s: PerfSettings, plain: bool = True) -> dict[str, Any]:
    """Both loops and the FLOP count; a JSON-able dict."""
    data = random_images(s)
    flops = flops_per_image(s.model, s.num_classes, s.image_size)
    results = [measure_core(s, data)] + ([measure_plain(s, data)] if plain else [])
    rows = []
    for r in results:
        rows.append({**asdict(r), "achieved_flops_per_s": flops["train"] * r.images_per_s})
    out: dict[str, Any] = {"settings": asdict(s), "flops_per_image": flops, "results": rows}
    if plain:
        out["speedup"] = results[0].images_per_s / results[1].images_per_s
    if s.augment != "basic":
        a = measure_augment(s, data)
        out["augment"] = {**asdict(a), "share_of_core_step": a.ms_per_step / results[0].ms_per_step}
    return out
