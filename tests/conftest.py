"""Shared fixtures. Tests run on the CPU with a fixed thread count (bitwise results depend on it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(int(os.environ.get("PRS_BENCH_TEST_THREADS", "2")))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def suites_dir() -> Path:
    return REPO / "suites"
