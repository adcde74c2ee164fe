"""Helpers for the training-core tests: tiny configs on the built-in synthetic data."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from bench.data.synthetic import make_synthetic
from bench.data.types import DataBundle

BASE: dict[str, Any] = {
    "model": {"name": "resnet_tiny", "kwargs": {}},
    "schedule": {"kind": "never"},
    "recipe": {
        "optimizer": "sgd",
        "lr": 0.05,
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "epochs": 2,
        "batch_size": 16,
        "augment": {"crop_pad": 4, "flip": True},
    },
    "data": {"source": "synthetic", "num_classes": 10, "n_train": 128, "n_test": 64},
}


RUN_SCRIPT = Path(__file__).with_name("run_script.py")


def launch_script(mode: str, run_dir: Path, *extra: str) -> subprocess.Popen:
    """run_script.py MODE RUN_DIR ... in a fresh single-threaded process (bitwise results need it)."""
    env = {**os.environ, "PRS_BENCH_TEST_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, str(RUN_SCRIPT), mode, str(run_dir), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def script() -> Callable[..., subprocess.Popen]:
    """``script(mode, run_dir, *args)`` starts run_script.py in its own process."""
    return launch_script


def make_config(model: str = "resnet_tiny", schedule: dict[str, Any] | None = None, **recipe: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(BASE)
    cfg["model"]["name"] = model
    cfg["schedule"] = schedule or {"kind": "never"}
    cfg["recipe"].update(recipe)
    return cfg


@pytest.fixture
def config() -> Callable[..., dict[str, Any]]:
    return make_config


@pytest.fixture(scope="session")
def tiny_data() -> DataBundle:
    return make_synthetic(num_classes=10, n_train=64, n_test=32, seed=0)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread in these tests: on a shared 2-core machine two spinning OpenMP threads
    run up to 20x slower. Bitwise comparisons only need the *same* count on both sides."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
