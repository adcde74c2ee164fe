"""What a run shows and leaves behind while it trains: a per-epoch bar, a JSONL event log, and
graceful Ctrl-C / SIGTERM handling (stop at the next step boundary, checkpoint, exit 130)."""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from tqdm import tqdm


def plain(obj: Any) -> Any:
    """JSON-able copy: tensors and numpy scalars become numbers, non-finite floats strings."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", 0) == 0 and hasattr(obj, "dtype"):
        obj = obj.item()
    if hasattr(obj, "tolist"):
        return plain(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


class EventLog:
    """Appends one JSON object per line to ``path`` (start, epoch, switch, checkpoint, resume, end)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> None:
        if self.path is None:
            return
        line = json.dumps({"event": event, "time": round(time.time(), 3), **plain(fields)}, sort_keys=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def epoch_bar(total: int, epoch: int, epochs: int, enabled: bool, initial: int = 0) -> tqdm:
    return tqdm(
        total=total,
        initial=initial,
        desc=f"epoch {epoch + 1}/{epochs}",
        leave=False,
        disable=not enabled,
        unit="step",
        dynamic_ncols=True,
    )


def duration(seconds: float) -> str:
    """``42 s``, ``7.5 min``, ``3.2 h``: a span people read at a glance."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def epoch_line(run: str, entry: dict[str, Any], epochs: int, seconds_so_far: float, epochs_so_far: int) -> str:
    """One line per finished epoch for logs without a progress bar (SLURM, CI, side-by-side runs):
    the run, epoch, train loss and accuracy, test accuracy where evaluated, speed, and the run's ETA
    from its mean epoch time so far."""
    parts = [f"loss {entry['train_loss']:.3f}", f"train {entry['train_acc']:.1f}%"]
    if entry.get("test_acc") is not None:
        parts.append(f"test {entry['test_acc']:.1f}%")
    if entry.get("img_per_s"):
        parts.append(f"{entry['img_per_s']:.0f} img/s")
    left = epochs - entry["epoch"]
    eta = f"ETA {duration(seconds_so_far / max(epochs_so_far, 1) * left)}" if left else "done"
    return f"    {run} epoch {entry['epoch']}/{epochs}: {', '.join(parts)}; {eta}"


class Interrupted(KeyboardInterrupt):
    """Raised after the checkpoint is written; the CLI turns it into exit 130 and a resume hint."""


PENDING_STOP: list[str] = []  # stop signals this process took outside a StopFlag (``note_stop``)


def note_stop(signum: int, frame: FrameType | None) -> None:
    """A signal handler for processes that train several runs (side-by-side workers): a stop that
    arrives between runs is kept, and the next ``StopFlag`` starts out requested."""
    PENDING_STOP.append(signal.Signals(signum).name)


class StopFlag:
    """Context: the first SIGINT/SIGTERM sets ``requested``; a second SIGINT interrupts at once.
    A stop noted by ``note_stop`` before entry counts as the first."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested: str | None = None
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> StopFlag:
        self.requested = PENDING_STOP[0] if PENDING_STOP else None
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
