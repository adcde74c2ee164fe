"""The training core: ``train_run`` (one resumable run), ``CoreOptions`` (how it executes)."""

from .core import train_run
from .engine import CoreOptions
from .types import TrainResult

__all__ = ["CoreOptions", "TrainResult", "train_run"]
