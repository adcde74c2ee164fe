"""Find a run's record and checkpoint, rebuild its model, and prepare test images for analysis.

Checkpoints: the training core's final weights (``final.safetensors`` checked against its
``final.json`` sidecar, ``bench.train.final``), its self-checking resume files
(``bench.train.checkpoint``: newest valid ``<run dir>/checkpoints/ckpt-*.pt``), any other
``.safetensors`` file, or a plain ``torch.save`` dict with ``"model"`` (a state dict) and
optionally ``"config"``; a bare state dict is accepted too. A checkpoint given without a run
record must carry its config.
"""

from __future__ import annotations

import io
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from ..errors import BenchError
from ..records import RecordStore, RunRecord, load_record

CHECKPOINT_NAMES = ("final.safetensors", "final.pt", "last.pt", "checkpoint.pt", "model.pt")  # first match wins


@dataclass
class RunRef:
    """A run record located on disk: ``store.path(relpath)`` is the record."""

    store: RecordStore
    relpath: str
    record: RunRecord

    @property
    def run_dir(self) -> Path:
        return self.store.run_dir(self.relpath)


def find_run(run: str, results: Path) -> RunRef:
    """``run`` is a record file, or a record path relative to ``results/runs`` (".json" optional)."""
    p = Path(run)
    if p.is_file():
        p = p.resolve()
        runs = next((a for a in p.parents if a.name == "runs"), None)
        if runs is None:
            raise BenchError(f"{run}: a run record must lie under a results folder's runs/ (results/runs/...)")
        store, relpath = RecordStore(runs.parent), p.relative_to(runs).as_posix()
    else:
        store = RecordStore(results)
        relpath = run if run.endswith(".json") else f"{run}.json"
        if not store.path(relpath).is_file():
            raise BenchError(
                f"no run record {store.path(relpath)}; give a record file or a path under "
                f"{store.runs} (see `prs-bench leaderboard` for runs)"
            )
    return RunRef(store, relpath, load_record(store.path(relpath)))


def find_checkpoint(run_dir: Path) -> Path:
    """A known name in the run dir, else the core's newest valid checkpoint, else the only ``*.pt``."""
    from ..train.checkpoint import load_latest

    for name in CHECKPOINT_NAMES:
        if (run_dir / name).is_file():
            return run_dir / name
    latest = load_latest(run_dir, log=lambda msg: print(msg, file=sys.stderr))
    if latest is not None:
        return latest[1]
    found = (
        sorted([*run_dir.glob("*.pt"), *run_dir.glob("*.pth"), *run_dir.glob("*.safetensors")])
        if run_dir.is_dir()
        else []
    )
    if len(found) == 1:
        return found[0]
    what = f"several ({', '.join(f.name for f in found)})" if found else "none"
    raise BenchError(
        f"{run_dir}: looked for a checkpoint ({', '.join(CHECKPOINT_NAMES)} or one *.pt) and found "
        f"{what}; pass --checkpoint PATH"
    )


@dataclass
class Checkpoint:
    path: Path
    state: dict[str, torch.Tensor]
    config: dict[str, Any] | None  # plain torch.save checkpoints may carry it; the core's do not
    config_hash: str | None  # the core's checkpoints carry it


def read_checkpoint(path: Path) -> Checkpoint:
    """Decode the core's final weights or self-checking format, or load a plain file."""
    from ..train.checkpoint import MAGIC, CorruptCheckpoint, decode

    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    try:
        blob = path.read_bytes()
        ckpt = (
            decode(blob)
            if blob.startswith(MAGIC)
            else torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
        )
    except (CorruptCheckpoint, OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise BenchError(f"{path}: unreadable checkpoint ({exc})") from None
    if not isinstance(ckpt, dict):
        raise BenchError(f"{path}: checkpoint is a {type(ckpt).__name__}, expected a dict with 'model'")
    for key in ("model", "state_dict"):
        if isinstance(ckpt.get(key), dict):
            return Checkpoint(path, ckpt[key], ckpt.get("config"), ckpt.get("config_hash"))
    if ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        return Checkpoint(path, ckpt, None, None)
    raise BenchError(f"{path}: checkpoint has no 'model' state dict (keys: {sorted(map(str, ckpt))[:8]})")


def _read_safetensors(path: Path) -> Checkpoint:
    """With a sidecar (the core's ``final.json``) the file is verified against it; the core's
    ``final.safetensors`` without its sidecar is refused, another ``.safetensors`` file loads as is."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from ..train.final import SIDECAR, WEIGHTS, CorruptWeights, read_final, sidecar_of

    if sidecar_of(path).is_file() or path.name == WEIGHTS:
        try:
            final = read_final(path)
        except CorruptWeights as exc:
            raise BenchError(f"{path}: unusable final weights ({exc}); rerun the run with --rerun") from None
        return Checkpoint(path, final.state, None, final.config_hash)
    try:
        return Checkpoint(path, load_file(path), None, None)
    except (SafetensorError, OSError, ValueError) as exc:
        raise BenchError(f"{path}: unreadable safetensors file ({exc}); the core writes it with {SIDECAR}") from None


def restore_phases(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Switch the reparam layers whose weights in ``state`` are attention-phase (``<layer>.attn.*``).

    Read from the weights themselves, so it cannot disagree with them whatever else the
    checkpoint stores.
    """
    from ..models.reparam import ReparamLayer, restore_reparam_state

    paths = [name for name, m in model.named_modules() if isinstance(m, ReparamLayer)]
    if paths:
        phases = ["attention" if any(k.startswith(f"{p}.attn.") for k in state) else "conv" for p in paths]
        restore_reparam_state(model, {"phases": phases})


def build_model(config: dict[str, Any], num_classes: int, state: dict[str, torch.Tensor], where: str) -> nn.Module:
    """The registry model of ``config["model"]`` with ``state`` loaded strictly (reparam phases restored first)."""
    from ..models import create_model

    model = create_model(config["model"]["name"], num_classes=num_classes, **config["model"].get("kwargs", {}))
    restore_phases(model, state)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:2]
        name = config["model"]["name"]
        raise BenchError(f"{where}: checkpoint does not fit model {name!r}: {' '.join(first)}") from None
    return model


def eval_images(data: Any, n: int) -> torch.Tensor:
    """The first ``n`` test images, preprocessed as the training core evaluates them (``core.evaluate``)."""
    from ..data.types import ImageArrays
    from ..train.augment import normalize

    n = min(n, len(data.test))
    if isinstance(data.test, ImageArrays):
        x = torch.from_numpy(data.test.x[:n]).permute(0, 3, 1, 2).contiguous()
    else:
        x = torch.stack([torch.as_tensor(data.test[i][0]) for i in range(n)])
    if x.dtype != torch.uint8:
        return x.float()  # a streamed dataset's transform has normalised it already
    shape = (1, -1, 1, 1)
    mean, std = data.normalization()
    return normalize(x, torch.tensor(mean).view(shape), torch.tensor(std).view(shape))


def eval_labels(data: Any, n: int) -> torch.Tensor:
    """The labels of the first ``n`` test images (those ``eval_images`` returns)."""
    from ..data.types import ImageArrays

    n = min(n, len(data.test))
    if isinstance(data.test, ImageArrays):
        return torch.from_numpy(data.test.y[:n]).long()
    return torch.tensor([int(data.test[i][1]) for i in range(n)])


@torch.no_grad()
def top1(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> float:
    """Top-1 (%) of ``model`` in eval mode on preprocessed images."""
    device = next(model.parameters()).device
    model.eval()
    correct = 0
    for i in range(0, images.shape[0], batch_size):
        logits = model(images[i : i + batch_size].to(device))
        correct += int((logits.argmax(1).cpu() == labels[i : i + batch_size]).sum())
    return 100.0 * correct / max(images.shape[0], 1)


def ablation_summaries(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> dict[str, Any]:
    """What taking away part of the switched layers' learning changes (``models.reparam.ablated``).

    ``{"as_trained": {top1}, ABLATION: {top1, hf_change_mixer_mean}}`` on the analysed test images; {}
    for a model with no switched layer. Separates the content attention's contribution (as trained
    vs content_off) from the positional departure's (content_off vs as_conv).
    """
    from ..models.reparam import ABLATIONS, ablated, reparam_layers
    from .summary import fourier_summary

    if not any(layer.attn is not None for layer in reparam_layers(model)):
        return {}
    out: dict[str, Any] = {"as_trained": {"top1": top1(model, images, labels, batch_size)}}
    for name in ABLATIONS:
        with ablated(model, name):
            fourier = fourier_summary(model, images, batch_size)
            out[name] = {
                "top1": top1(model, images, labels, batch_size),
                "hf_change_mixer_mean": fourier["hf_change_mixer_mean"],
            }
    return out


def analyse_checkpoint(
    config: dict[str, Any],
    data: Any,
    ckpt: Checkpoint,
    images: int = 256,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """The Fourier summary of a trained model: what ``record["analysis"]["fourier"]`` holds.

    A model with switched reparam layers also gets ``ablations`` (``ablation_summaries``).
    """
    from .summary import fourier_summary

    model = build_model(config, data.num_classes, ckpt.state, str(ckpt.path)).to(device)
    x = eval_images(data, images)
    summary = fourier_summary(model, x, batch_size)
    ablations = ablation_summaries(model, x, eval_labels(data, images), batch_size)
    if ablations:
        summary["ablations"] = ablations
    summary["source"] = {
        "checkpoint": str(ckpt.path),
        "model": config["model"]["name"],
        "data": data.meta.get("source"),
        "split": "test",
        "first_n": summary["images"],
    }
    return summary
