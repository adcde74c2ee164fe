"""The training core."""

from .loop import train_run
from .types import TrainResult

__all__ = ["TrainResult", "train_run"]
