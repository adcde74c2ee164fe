"""Optional experiment tracking (``prs-bench run --log-to tensorboard|wandb``), rank 0 only.

The trackers get what the run record gets, nothing computed for them alone: every epoch's
history entry (numbers under the record's own keys, per-layer reparameterization diagnostics as
``<key>/<layer>/<field>``) at step = the entry's epoch, and the switch events (``events/switch``,
the layers switched as that epoch began, plus the events themselves: TensorBoard text, the W&B
run summary's ``switch_events``). The
packages are extras (``pip install "prs-bench[tensorboard]"`` / ``"prs-bench[wandb]"``),
imported only when asked for. TensorBoard writes to ``<run dir>/tensorboard``; W&B follows its
own environment (``WANDB_MODE=offline``, ``WANDB_PROJECT``, default project ``prs-bench``) and
keeps its files under ``<run dir>``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import BenchError
from ..registry import Registry

LAYER_KEYS = ("reparam", "layers")  # history keys holding per-layer diagnostics (lists of dicts)
EXTRAS = {"tensorboard": "tensorboard", "wandb": "wandb"}


class Sink(Protocol):
    def epoch(self, step: int, scalars: dict[str, float], events: list[dict[str, Any]]) -> None: ...
    def close(self, status: str, switch_events: list[dict[str, Any]]) -> None: ...


SinkFactory = Callable[[Path, str, dict[str, Any]], Sink]
BACKENDS: Registry[SinkFactory] = Registry("tracking backend")


def scalars(entry: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of one history entry; per-layer lists flattened to ``key/layer/field``."""
    out: dict[str, float] = {}
    for key, value in entry.items():
        if key == "epoch":
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            if math.isfinite(value):
                out[key] = float(value)
        elif key in LAYER_KEYS and isinstance(value, list):
            for i, layer in enumerate(value):
                if not isinstance(layer, dict):
                    continue
                idx = layer.get("layer", i)
                for field, v in layer.items():
                    if (
                        field != "layer"
                        and isinstance(v, (int, float))
                        and not isinstance(v, bool)
                        and math.isfinite(v)
                    ):
                        out[f"{key}/{idx}/{field}"] = float(v)
                if "phase" in layer:
                    out[f"{key}/{idx}/attention"] = float(layer["phase"] == "attention")
    return out


class Tracking:
    """Fans the run's epochs and switch events out to the chosen backends (none: does nothing).

    A switch at the start of (0-based) epoch e is logged in the row of that epoch, step e + 1,
    beside the numbers it affected: ``events/switch`` = layers switched as that epoch began.
    """

    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks
        self.switches: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []

    def switch(self, fields: dict[str, Any]) -> None:
        event = {"event": "switch", **fields}
        self.switches.append(event)
        self.pending.append(event)

    def epoch(self, entry: dict[str, Any]) -> None:
        values = scalars(entry)
        for kind, n in Counter(e["event"] for e in self.pending).items():
            values[f"events/{kind}"] = float(n)
        for s in self.sinks:
            s.epoch(int(entry["epoch"]), values, self.pending)
        self.pending = []

    def close(self, status: str) -> None:
        """Once: later calls (an error after a normal close) do nothing."""
        sinks, self.sinks = self.sinks, []
        for s in sinks:
            s.close(status, self.switches)


def check_backends(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Known and installed, or one line saying which extra to install."""
    for name in names:
        if name not in BACKENDS:
            raise BenchError(f"--log-to {name!r}: unknown; choose from {', '.join(BACKENDS.names())}")
        if importlib.util.find_spec(EXTRAS[name]) is None:
            raise BenchError(
                f'--log-to {name}: the {EXTRAS[name]!r} package is not installed; pip install "prs-bench[{name}]"'
            )
    return tuple(dict.fromkeys(names))


def open_tracking(names: tuple[str, ...], run_dir: Path | None, name: str, config: dict[str, Any]) -> Tracking:
    """One sink per backend; ``run_dir`` None (not rank 0, or no run folder) tracks nothing."""
    if not names or run_dir is None:
        return Tracking([])
    return Tracking([BACKENDS.get(n)(Path(run_dir), name, config) for n in check_backends(names)])


class TensorBoardSink:
    """``torch.utils.tensorboard.SummaryWriter`` under ``<run dir>/tensorboard``."""

    def __init__(self, run_dir: Path, name: str, config: dict[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(run_dir / "tensorboard"))
        self.writer.add_text("run", f"`{name}`\n\n```\n{json.dumps(config, indent=1, sort_keys=True)}\n```", 0)

    def epoch(self, step: int, scalars: dict[str, float], events: list[dict[str, Any]]) -> None:
        for tag, value in scalars.items():
            self.writer.add_scalar(tag, value, step)
        for e in events:
            self.writer.add_text(f"events/{e['event']}", json.dumps(e, sort_keys=True), step)
        self.writer.flush()

    def close(self, status: str, switch_events: list[dict[str, Any]]) -> None:
        self.writer.add_text("status", status)
        self.writer.close()


class WandbSink:
    """One W&B run per training run (``wandb.init``/``finish``); offline with ``WANDB_MODE=offline``."""

    def __init__(self, run_dir: Path, name: str, config: dict[str, Any]) -> None:
        import wandb

        run_dir.mkdir(parents=True, exist_ok=True)
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "prs-bench"),
            name=name,
            dir=str(run_dir),
            config=config,
            reinit="create_new",
        )

    def epoch(self, step: int, scalars: dict[str, float], events: list[dict[str, Any]]) -> None:
        self.run.log(scalars, step=step)

    def close(self, status: str, switch_events: list[dict[str, Any]]) -> None:
        self.run.summary["status"] = status
        self.run.summary["switch_events"] = switch_events
        self.run.finish(exit_code=0 if status == "complete" else 1)


BACKENDS.add("tensorboard", TensorBoardSink)
BACKENDS.add("wandb", WandbSink)
