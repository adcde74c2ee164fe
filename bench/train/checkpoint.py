"""Checkpoints: atomic, self-checking files, and the RNG states a bitwise resume needs.

File layout: ``PRSCKPT1`` | payload length (8 bytes, little-endian) | payload (``torch.save``) |
sha256(payload). A file cut short (a kill during a copy, a full disk) or altered fails the check
and the previous checkpoint is used. Writes go through ``bench.records.atomic`` (temp file,
fsync, rename), so a reader never sees half a file under the final name. The payload holds only
tensors and plain Python values and is loaded with ``weights_only=True``.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from ..records.atomic import atomic_write_bytes

MAGIC = b"PRSCKPT1"
FORMAT = 1
PATTERN = "ckpt-*.pt"


class CorruptCheckpoint(Exception):
    """The file is truncated, altered or not a checkpoint."""


def encode(state: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    payload = buf.getvalue()
    return MAGIC + struct.pack("<Q", len(payload)) + payload + hashlib.sha256(payload).digest()


def decode(blob: bytes) -> dict[str, Any]:
    head = len(MAGIC) + 8
    if len(blob) < head + 32 or blob[: len(MAGIC)] != MAGIC:
        raise CorruptCheckpoint("not a prs-bench checkpoint or cut short before its header")
    (n,) = struct.unpack("<Q", blob[len(MAGIC) : head])
    if len(blob) != head + n + 32:
        raise CorruptCheckpoint(f"truncated: {len(blob)} bytes, expected {head + n + 32}")
    payload = blob[head : head + n]
    if hashlib.sha256(payload).digest() != blob[head + n :]:
        raise CorruptCheckpoint("checksum mismatch")
    return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)


def checkpoint_dir(run_dir: Path) -> Path:
    return Path(run_dir) / "checkpoints"


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Newest first (the global step is in the name, zero-padded)."""
    return sorted(checkpoint_dir(run_dir).glob(PATTERN), reverse=True)


def save_checkpoint(run_dir: Path, state: dict[str, Any], global_step: int, keep: int = 2) -> Path:
    """Write atomically, then drop all but the newest ``keep`` checkpoints."""
    path = checkpoint_dir(run_dir) / f"ckpt-{global_step:010d}.pt"
    atomic_write_bytes(path, encode({"format": FORMAT, **state}))
    for old in list_checkpoints(run_dir)[max(1, keep) :]:
        old.unlink(missing_ok=True)
    return path


def load_latest(run_dir: Path, log: Callable[[str], None] = print) -> tuple[dict[str, Any], Path] | None:
    """The newest checkpoint that passes its check; corrupt ones are reported and skipped."""
    for path in list_checkpoints(run_dir):
        try:
            return decode(path.read_bytes()), path
        except (CorruptCheckpoint, OSError, RuntimeError, EOFError) as exc:
            log(f"checkpoint {path} is unusable ({exc}); trying the previous one")
    return None


def clear_checkpoints(run_dir: Path) -> None:
    for path in checkpoint_dir(run_dir).glob("*"):
        if path.is_file():
            path.unlink(missing_ok=True)


def capture_rng() -> dict[str, Any]:
    """python, numpy, torch CPU and every CUDA device's generator, as plain values and tensors."""
    kind, keys, pos, has_gauss, cached = cast(tuple[str, np.ndarray, int, int, float], np.random.get_state())
    return {
        "python": random.getstate(),
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        # the saved list has one state per GPU visible when it was written; a resume may see fewer
        # (another node, CUDA_VISIBLE_DEVICES): restore those that exist, never index past them
        for i in range(min(len(state["cuda"]), torch.cuda.device_count())):
            torch.cuda.set_rng_state(state["cuda"][i], i)
