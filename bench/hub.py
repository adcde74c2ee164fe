"""The project's models as timm models: ``import bench.hub`` registers every registry model with
timm, so a run's final weights load with timm's own calls.

    import timm, bench.hub
    model = timm.create_model("local-dir:RUN_DIR", pretrained=True)   # RUN_DIR/config.json + final.safetensors
    model = timm.create_model("reparam_vit_cpu_tiny", pretrained_cfg_overlay=dict(file="RUN_DIR/final.safetensors"))
    config = timm.data.resolve_data_config(model=model)               # input size, mean/std of the run's data

A weights file loads whenever one is named (``pretrained`` or not): it is verified against its
``final.json`` sidecar (sha256), the model is built with the sidecar's arguments (keywords given to
``create_model`` override them), reparameterized layers are switched to the phase the weights were
saved in, and the state is loaded strictly. Without a file the model is built with random weights,
as timm builds an architecture; ``pretrained=True`` without a file is refused (the project publishes
no weights). A name timm already has is not registered (timm's model wins; none collides today).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import timm.models
import torch.nn as nn

from .analysis.loading import restore_phases
from .errors import BenchError
from .models import MODELS, list_models
from .train.final import WEIGHTS, CorruptWeights, read_final

__all__ = ["load_final", "register_models"]


def _weights_path(file: str | Path) -> Path:
    """A run folder (its ``final.safetensors``) or the weights file (or its sidecar) itself."""
    path = Path(file)
    return path / WEIGHTS if path.is_dir() else path


def load_final(name: str, file: str | Path, **overrides: Any) -> nn.Module:
    """Registry model ``name`` with the verified final weights at ``file`` (a run folder, its weights
    or its sidecar); ``overrides`` replace the sidecar's model arguments. One-line errors."""
    path = _weights_path(file)
    try:
        final = read_final(path)
    except CorruptWeights as exc:
        raise BenchError(f"{path}: {exc}") from None
    saved = final.meta["model"]
    if saved["name"] != name:
        raise BenchError(f"{path}: weights of model {saved['name']!r}, not {name!r}; create {saved['name']!r}")
    args = {**saved["kwargs"], "num_classes": saved["num_classes"], **overrides}
    model = MODELS.get(name)(**args)
    restore_phases(model, final.state)
    try:
        model.load_state_dict(final.state, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).splitlines()[:2])
        raise BenchError(f"{path}: the weights do not fit {name!r} with arguments {args}: {first}") from None
    cfg = final.meta.get("pretrained_cfg")
    if isinstance(cfg, dict):  # tuples where timm has them (JSON made them lists)
        tuples = {k: tuple(cfg[k]) for k in ("input_size", "mean", "std") if isinstance(cfg.get(k), list)}
        data = {**cfg, **tuples, "file": str(path)}
        vars(model).update(pretrained_cfg=data, default_cfg=data)  # plain attributes, as timm's models carry
    return model


def _entrypoint(name: str) -> Callable[..., nn.Module]:
    def create(
        pretrained: bool = False,
        pretrained_cfg: Any = None,
        pretrained_cfg_overlay: dict[str, Any] | None = None,
        cache_dir: Any = None,
        **kwargs: Any,
    ) -> nn.Module:
        kwargs.pop("pretrained_model_args", None)  # timm's copy of config.json's model_args, already in kwargs
        base = pretrained_cfg.to_dict() if hasattr(pretrained_cfg, "to_dict") else dict(pretrained_cfg or {})
        file = {**base, **(pretrained_cfg_overlay or {})}.get("file")
        if file:
            return load_final(name, file, **kwargs)
        if pretrained:
            raise BenchError(
                f"{name}: prs-bench publishes no weights; name a run's weights with "
                "pretrained_cfg_overlay=dict(file='RUN_DIR/final.safetensors') or create 'local-dir:RUN_DIR'"
            )
        return MODELS.get(name)(**kwargs)

    create.__name__ = create.__qualname__ = name
    create.__module__ = __name__
    create.__doc__ = f"prs-bench's {name!r} (bench.models), registered with timm by bench.hub."
    return create


def register_models() -> list[str]:
    """Register every registry model timm does not already have; returns the names registered."""
    module = sys.modules[__name__]
    done = []
    for name in list_models():
        existing = timm.models.is_model(name) and getattr(timm.models.model_entrypoint(name), "__module__", "")
        if existing and existing != __name__:
            continue
        entry = _entrypoint(name)
        setattr(module, name, entry)  # timm lists registered names in the module's __all__: make them real
        timm.models.register_model(entry)
        done.append(name)
    return done


REGISTERED = register_models()
