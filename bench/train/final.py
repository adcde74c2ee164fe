"""A run's final weights: ``final.safetensors`` plus the ``final.json`` sidecar.

safetensors so that standard tools (``safetensors.torch.load_file``, timm, anything that reads
the format) open the weights without this package and without unpickling. What tensors cannot
say lives in the sidecar: the registry model and its keyword arguments, the reparameterization
phases (``restore_reparam_state`` must switch those layers *before* ``load_state_dict``), the
config hash, the final metrics, and the sha256 of the weights file. The hash is the integrity
check: a weights file cut short, altered, or left over from another run is refused. The weights
are written first and the sidecar last, each atomically, so the sidecar marks a finished write.

Beside them, ``config.json`` in timm's hub format (architecture, num_classes, model_args and a
``pretrained_cfg`` with the input size and the data's mean/std), so that after ``import bench.hub``
``timm.create_model("local-dir:RUN_DIR", pretrained=True)`` rebuilds the model (``bench/hub.py``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from ..records.atomic import atomic_write_bytes, atomic_write_json

WEIGHTS = "final.safetensors"
SIDECAR = "final.json"
TIMM_CONFIG = "config.json"  # timm's name for a model folder's config (``local-dir:`` and the HF hub)
FORMAT = "prs-bench-final/1"


class CorruptWeights(Exception):
    """The weights file is missing, altered, cut short, or does not match its sidecar."""


@dataclass
class FinalWeights:
    """The decoded pair: ``state`` is a plain state dict, ``meta`` the sidecar."""

    path: Path
    state: dict[str, torch.Tensor]
    meta: dict[str, Any]

    @property
    def config_hash(self) -> str | None:
        return self.meta.get("config_hash")

    @property
    def phases(self) -> list[str] | None:
        reparam = self.meta.get("reparam")
        return list(reparam["phases"]) if isinstance(reparam, dict) and "phases" in reparam else None


def _finite(obj: Any) -> Any:
    """JSON has no NaN/inf: such values become None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def header_metadata(config_hash: str) -> dict[str, str]:
    """The weights file's own metadata, as ONE key: safetensors writes metadata keys in a
    per-process hash order, so several keys made equal weights give different bytes (and sha256)."""
    return {"prs_bench": json.dumps({"format": FORMAT, "config_hash": config_hash, "sidecar": SIDECAR}, sort_keys=True)}


def pretrained_cfg(
    model_name: str, num_classes: int, image_size: int, mean: tuple[float, ...], std: tuple[float, ...]
) -> dict[str, Any]:
    """timm's ``pretrained_cfg`` of a run's weights: what ``timm.data.resolve_data_config`` reads to
    preprocess images as the run evaluated them (resized to the input size, no crop, the run's data
    mean/std)."""
    return {
        "architecture": model_name,
        "tag": "prs-bench",
        "num_classes": num_classes,
        "input_size": [len(mean), image_size, image_size],
        "interpolation": "bilinear",
        "crop_pct": 1.0,
        "crop_mode": "center",
        "mean": list(mean),
        "std": list(std),
        "license": None,
    }


def timm_config(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The ``config.json`` timm reads from a model folder (its hub format), from a sidecar; None
    when the sidecar has no ``pretrained_cfg`` (weights written before it existed)."""
    cfg = meta.get("pretrained_cfg")
    if not isinstance(cfg, dict):
        return None
    model = meta["model"]
    return {
        "architecture": model["name"],
        "num_classes": model["num_classes"],
        "model_args": dict(model["kwargs"]),
        "pretrained_cfg": {k: v for k, v in cfg.items() if k != "architecture"},
    }


def _write(run_dir: Path, blob: bytes, meta: dict[str, Any]) -> None:
    """Weights, then timm's config, then the sidecar that marks the write finished."""
    atomic_write_bytes(run_dir / WEIGHTS, blob)
    config = timm_config(meta)
    if config is not None:
        atomic_write_json(run_dir / TIMM_CONFIG, config)
    atomic_write_json(run_dir / SIDECAR, meta)


def save_final(
    run_dir: Path,
    model: torch.nn.Module,
    *,
    model_name: str,
    model_kwargs: dict[str, Any],
    num_classes: int,
    reparam: dict[str, Any] | None,
    config_hash: str,
    metrics: dict[str, Any],
    data_config: dict[str, Any] | None = None,
) -> Path:
    """Write ``final.safetensors``, timm's ``config.json`` (with ``data_config``: a ``pretrained_cfg``)
    and ``final.json``; returns the weights path."""
    # cloned: safetensors refuses tensors that share storage (tied weights, views)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    blob = st_save(tensors, metadata=header_metadata(config_hash))
    cls = type(model)
    meta = {
        "format": FORMAT,
        "weights": WEIGHTS,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
        "model": {
            "name": model_name,
            "num_classes": num_classes,
            "kwargs": dict(model_kwargs),
            "class": f"{cls.__module__}.{cls.__qualname__}",
        },
        "reparam": reparam,
        "config_hash": config_hash,
        "metrics": _finite(dict(metrics)),
    }
    if data_config is not None:
        meta["pretrained_cfg"] = data_config
    _write(Path(run_dir), blob, meta)
    return Path(run_dir) / WEIGHTS


def sidecar_of(path: Path) -> Path:
    """``final.json`` beside ``final.safetensors`` (any ``X.safetensors`` -> ``X.json``)."""
    return Path(path).with_suffix(".json")


def read_final(path: Path) -> FinalWeights:
    """Load and verify a weights file against its sidecar (``path`` is either of the two files)."""
    path = Path(path)
    weights = path.with_suffix(".safetensors") if path.suffix == ".json" else path
    side = sidecar_of(weights)
    try:
        meta = json.loads(side.read_text())
    except FileNotFoundError:
        raise CorruptWeights(f"no sidecar {side.name} beside {weights.name}") from None
    except (OSError, ValueError) as exc:
        raise CorruptWeights(f"sidecar {side.name} is unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CorruptWeights(f"sidecar {side.name} is not a {FORMAT} file")
    try:
        blob = weights.read_bytes()
    except OSError as exc:
        raise CorruptWeights(f"{weights.name} is unreadable ({exc})") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != meta.get("sha256"):
        raise CorruptWeights(
            f"{weights.name}: sha256 {digest[:12]} does not match its sidecar's "
            f"{str(meta.get('sha256'))[:12]} ({len(blob)} bytes, sidecar says {meta.get('bytes')})"
        )
    try:
        state = st_load(blob)
    except (SafetensorError, ValueError) as exc:  # pragma: no cover - the hash matched, so only a bad writer
        raise CorruptWeights(f"{weights.name}: not a safetensors file ({exc})") from None
    return FinalWeights(weights, state, meta)


def copy_final(src_dir: Path, dst_dir: Path, config_hash: str) -> bool:
    """Copy a run's verified final weights to another run folder under that run's config hash (a
    run whose training equals ``src_dir``'s). False, copying nothing, when ``src_dir`` has none."""
    try:
        final = read_final(Path(src_dir) / WEIGHTS)
    except CorruptWeights:
        return False
    blob = st_save(final.state, metadata=header_metadata(config_hash))
    meta = {**final.meta, "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob), "config_hash": config_hash}
    _write(Path(dst_dir), blob, meta)
    return True
