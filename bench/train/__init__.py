"""The training core: ``train_run(spec, data, ctx)`` (one resumable run), ``RunContext`` (how it
executes: device, ``CoreOptions``, process group, run folder)."""

from .context import RunContext
from .core import Trainer, train_run
from .engine import CoreOptions
from .types import TrainResult

__all__ = ["CoreOptions", "RunContext", "TrainResult", "Trainer", "train_run"]
