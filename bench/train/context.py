"""How one run executes: everything ``train_run`` needs besides what it computes (the ``RunSpec``).

None of it enters the config hash: the device, the execution options, the process group, where
checkpoints and the event log go, whether to resume, and where progress lines are printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .distributed import DistInfo
from .engine import CoreOptions


def stderr_line(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class RunContext:
    """``run_dir``: checkpoints, ``events.jsonl`` and the final weights (rank 0 writes; ``None``:
    nothing is written). ``resume``: continue from the newest valid checkpoint in ``run_dir`` made
    with the same config hash (else start fresh). ``log``: one-line messages (resuming, skipped
    checkpoints)."""

    device: torch.device
    options: CoreOptions = field(default_factory=CoreOptions)
    dist: DistInfo = field(default_factory=DistInfo.current)
    run_dir: Path | None = None
    resume: bool = False
    progress: bool = False
    log: Callable[[str], None] = stderr_line

    def __post_init__(self) -> None:
        if self.run_dir is not None and not isinstance(self.run_dir, Path):
            object.__setattr__(self, "run_dir", Path(self.run_dir))  # a str folder works too
