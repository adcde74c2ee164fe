"""The switch schedule during training: the core's side of ``bench.models.reparam``.

``bench.models.reparam`` is the model-side operation (the switchable layer, switching one layer,
its state); this module applies a run's schedule to a model as the core trains it. The calls, in
the order the core makes them:
  ``restore``      on resume, before ``load_state_dict``;
  ``apply``        at the start of every epoch (switches the layers the schedule names);
  ``soften``       before every step (the forced-softening ablation; a no-op by default);
  ``diagnostics``  after every epoch, into that epoch's history;
  ``state``        into every checkpoint and the final weights' sidecar.
A model without reparameterizable layers runs with schedule kind "never" and every call is a no-op.
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from ..errors import BenchError
from ..models import reparam as model_reparam
from .progress import plain


class Switching:
    """The switch schedule of one model, or a no-op for a model without reparameterizable layers."""

    def __init__(self, model: nn.Module, schedule: dict[str, Any], model_name: str) -> None:
        self.schedule = schedule or {"kind": "never"}
        kind = self.schedule.get("kind", "never")
        self.active = bool(model_reparam.reparam_layers(model))
        if not self.active and kind != "never":
            raise BenchError(
                f"schedule kind {kind!r} needs reparameterizable layers, but model {model_name!r} has none"
            )

    def apply(self, model: nn.Module, epoch: int, epochs: int, optimizer: Any, step: int) -> list[dict[str, Any]]:
        if not self.active:
            return []
        return [plain(e) for e in model_reparam.apply_schedule(model, self.schedule, epoch, epochs, optimizer, step)]

    def soften(self, model: nn.Module, epochs: int, epoch: int, step_in_epoch: int, steps_per_epoch: int) -> None:
        """Before every step: the imposed soft share, for schedules with the forced-softening ablation."""
        if self.active:
            model_reparam.force_soften_layers(model, self.schedule, epochs, epoch + step_in_epoch / steps_per_epoch)

    def state(self, model: nn.Module, monitor: bool = False) -> dict[str, Any] | None:
        """The phases (and with ``monitor``, for a resume checkpoint, the gradient monitors)."""
        return model_reparam.reparam_state(model, monitor) if self.active else None

    def restore(self, model: nn.Module, state: dict[str, Any] | None) -> None:
        if self.active and state is not None:
            model_reparam.restore_reparam_state(model, state)

    def diagnostics(self, model: nn.Module) -> list[dict[str, Any]] | None:
        """Per layer, this epoch: the layer's state and its gradient norms (the window restarts)."""
        return plain(model_reparam.layer_diagnostics(model, reset_grads=True)) if self.active else None
