"""Model registry: ``create_model(name, num_classes=..., **overrides)`` as timm does it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.nn as nn

from ..errors import BenchError
from ..registry import Registry

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")
register_model = MODELS.register


def create_model(name: str, num_classes: int, **kwargs: Any) -> nn.Module:
    """Build a registered model; a bad keyword names the model and the keyword."""
    factory = MODELS.get(name)
    try:
        return factory(num_classes=num_classes, **kwargs)
    except TypeError as exc:
        raise BenchError(f"model {name!r}: bad arguments {sorted(kwargs)}: {exc}") from None


def list_models() -> list[str]:
    return MODELS.names()


def model_input_size(name: str) -> int:
    """The image side a model is built for: 32 (CIFAR-size) unless its factory says otherwise."""
    return int(getattr(MODELS.get(name), "input_size", 32))
