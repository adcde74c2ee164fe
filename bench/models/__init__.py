"""Model registry; importing this package registers every model."""

from . import convit, reparam_resnet, reparam_vit, resnet, vit  # noqa: F401  (registration side effects)
from .registry import MODELS, create_model, list_models, model_input_size, register_model

__all__ = ["MODELS", "create_model", "list_models", "model_input_size", "register_model"]
