"""The training core's side of the reparameterization API (``bench.models.reparam``).

Imported lazily: the core runs plain models (schedule kind "never") without it. The calls, in
the order the core makes them:
  ``reparam_layers(model)``                   once, to know whether the model has any;
  ``restore_reparam_state(model, state)``     on resume, before ``load_state_dict``;
  ``apply_schedule(model, schedule, epoch, epochs, optimizer, step)`` at the start of every epoch;
  ``soften_layers(model, schedule, epochs, position)`` before every step (locality softening);
  ``layer_diagnostics(model)``                after every epoch, into that epoch's history;
  ``reparam_state(model)``                    into every checkpoint.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch.nn as nn

from ..errors import BenchError
from .progress import plain


def _api() -> Any:
    try:
        return importlib.import_module("bench.models.reparam")
    except ImportError:
        return None


class Reparam:
    """The reparameterization of one model, or a no-op for a model without reparam layers."""

    def __init__(self, model: nn.Module, schedule: dict[str, Any], model_name: str) -> None:
        self.schedule = schedule or {"kind": "never"}
        kind = self.schedule.get("kind", "never")
        api = _api()
        layers = api.reparam_layers(model) if api is not None and hasattr(api, "reparam_layers") else []
        if not layers and kind != "never":
            raise BenchError(
                f"schedule kind {kind!r} needs reparameterizable layers, but model {model_name!r} "
                f"has none{'' if api else ' (bench.models.reparam is not available)'}"
            )
        self.api = api if layers else None

    @property
    def active(self) -> bool:
        return self.api is not None

    def apply(self, model: nn.Module, epoch: int, epochs: int, optimizer: Any, step: int) -> list[dict[str, Any]]:
        if self.api is None:
            return []
        return [plain(e) for e in self.api.apply_schedule(model, self.schedule, epoch, epochs, optimizer, step)]

    def soften(self, model: nn.Module, epochs: int, epoch: int, step_in_epoch: int, steps_per_epoch: int) -> None:
        """Before every step: the switched layers' locality at this point of training."""
        if self.api is not None:
            self.api.soften_layers(model, self.schedule, epochs, epoch + step_in_epoch / steps_per_epoch)

    def state(self, model: nn.Module) -> dict[str, Any] | None:
        return self.api.reparam_state(model) if self.api is not None else None

    def restore(self, model: nn.Module, state: dict[str, Any] | None) -> None:
        if self.api is not None and state is not None:
            self.api.restore_reparam_state(model, state)

    def diagnostics(self, model: nn.Module) -> list[dict[str, Any]] | None:
        return plain(self.api.layer_diagnostics(model)) if self.api is not None else None
