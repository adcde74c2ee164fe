"""Planned runs -> training core -> run records. Finished runs are skipped unless rerun."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .data import DataBundle, load_data
from .records import RecordStore, collect_provenance, make_record
from .suite import RunSpec
from .suite.hashing import content_hash
from .train import train_run


def resolve_device(name: str) -> torch.device:
    from .errors import BenchError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BenchError(f"--device {name}: no CUDA device is visible; use --device cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise BenchError(f"--device {name!r}: not a torch device; use cpu, cuda, cuda:N or auto") from None


@dataclass
class RunSummary:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_all(specs: list[RunSpec], store: RecordStore, device: torch.device, rerun: bool = False,
            progress: bool | None = None, trainer: Callable[..., Any] = train_run) -> RunSummary:
    """Train every spec not already complete (same config hash) and write its record."""
    progress = sys.stderr.isatty() if progress is None else progress
    summary = RunSummary()
    data_cache: dict[str, DataBundle] = {}
    provenance = collect_provenance(device)
    todo = [s for s in specs if rerun or not store.is_complete(s.relpath, s.config_hash)]
    summary.skipped = [s.run_id for s in specs if s not in todo]
    if summary.skipped:
        log(f"skipping {len(summary.skipped)} finished run(s) (use --rerun to repeat them)")
    for i, spec in enumerate(todo, 1):
        dkey = content_hash(spec.config["data"])
        if dkey not in data_cache:
            data_cache = {dkey: load_data(spec.config["data"])}  # one dataset in memory at a time
        data = data_cache[dkey]
        log(f"[{i}/{len(todo)}] {spec.run_id} ({spec.config['model']['name']}, {device})")
        t0 = time.perf_counter()
        result = trainer(spec.config, data, device, spec.seed, progress=progress)
        wall = time.perf_counter() - t0
        record = make_record(spec, result, provenance, wall, data.meta)
        store.write(spec.relpath, record, replace=True)
        if result.status == "complete":
            summary.ran.append(spec.run_id)
            log(f"    top-1 {result.metrics['test_acc']:.2f}%  ({wall:.1f} s)")
        else:
            summary.failed.append(spec.run_id)
            log(f"    FAILED: {result.error} (record marked failed, not counted)")
    return summary
