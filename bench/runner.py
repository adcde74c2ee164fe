"""Planned runs -> training core -> run records. Finished runs are skipped unless rerun.

Each run trains in its scratch folder ``store.run_dir(relpath)`` (checkpoints, events.jsonl,
final.safetensors + final.json). ``resume`` continues an interrupted run from its newest valid checkpoint. Under
torchrun every rank trains and only rank 0 logs and writes records.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch

from .data import DataBundle, load_data
from .errors import BenchError
from .records import RecordStore, RunHeld, collect_provenance, make_record
from .suite import RunSpec
from .suite.hashing import content_hash
from .train import CoreOptions, train_run
from .train.checkpoint import clear_checkpoints
from .train.distributed import DistInfo
from .train.engine import resolve_options, runtime_of

DEVICE_NAME = re.compile(r"^(auto|cpu|cuda(:[0-9]{1,3})?)$")


def resolve_device(name: str) -> torch.device:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``: the devices the training core supports (not meta, mps, ...)."""
    if not DEVICE_NAME.match(name):
        raise BenchError(f"--device {name!r}: prs-bench trains on cpu, cuda, cuda:N or auto; choose one of those")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BenchError(f"--device {name}: no CUDA device is visible; use --device cpu or auto")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise BenchError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) are visible")
    try:
        return torch.device(name)
    except RuntimeError:
        raise BenchError(f"--device {name!r}: not a torch device; use cpu, cuda, cuda:N or auto") from None


@dataclass
class RunSummary:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # another live process was running them


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def analyse(config: dict[str, Any], data: DataBundle, run_dir: Any, device: torch.device,
            say: Callable[[str], None]) -> dict[str, Any]:
    """Post-training analysis the tier asks for, from the run's final checkpoint."""
    from .analysis.loading import analyse_checkpoint, find_checkpoint, read_checkpoint

    n = config["analysis"]["fourier_images"]
    t0 = time.perf_counter()
    summary = analyse_checkpoint(config, data, read_checkpoint(find_checkpoint(run_dir)), images=n, device=device)
    say(f"    Fourier analysis of {summary['images']} test images ({time.perf_counter() - t0:.1f} s): "
        f"mean high-frequency delta {summary['hf_delta_mean']:.3f}")
    return {"fourier": summary}


def run_all(specs: list[RunSpec], store: RecordStore, device: torch.device, rerun: bool = False,
            progress: bool | None = None, trainer: Callable[..., Any] = train_run, resume: bool = False,
            options: CoreOptions | None = None, dist: DistInfo | None = None) -> RunSummary:
    """Train every spec not already done (same config hash and runtime) and write its record.

    Each run trains under its lock (``store.lock``): a run another live process holds is skipped
    with one line naming that process, so two invocations on one results folder share the work
    instead of training a run twice. Under torchrun the lock covers the record write only.
    """
    dist = dist or DistInfo.current()
    say = log if dist.is_main else (lambda msg: None)
    progress = (sys.stderr.isatty() and dist.is_main) if progress is None else progress
    summary = RunSummary()
    data_cache: dict[str, DataBundle] = {}
    provenance = {**collect_provenance(device), "world_size": dist.world}
    runtime = runtime_of(resolve_options(options or CoreOptions(), device), device, dist.world)
    todo = [s for s in specs if rerun or not store.is_complete(s.relpath, s.config_hash, runtime)]
    summary.skipped = [s.run_id for s in specs if s not in todo]
    if summary.skipped:
        say(f"skipping {len(summary.skipped)} finished run(s) (use --rerun to repeat them)")
    for i, spec in enumerate(todo, 1):
        try:
            with store.lock(spec.relpath) if not dist.active else nullcontext():
                if not dist.active and not rerun and store.is_complete(spec.relpath, spec.config_hash, runtime):
                    summary.skipped.append(spec.run_id)  # another process finished it meanwhile
                    continue
                data_cache = _train_one(i, len(todo), spec, store, device, data_cache, summary, say, trainer,
                                        progress, resume, options, dist, provenance, runtime)
        except RunHeld as exc:
            summary.held.append(spec.run_id)
            say(f"[{i}/{len(todo)}] skipping {spec.run_id}: {exc}")
    return summary


def _train_one(i: int, n: int, spec: RunSpec, store: RecordStore, device: torch.device,
               data_cache: dict[str, DataBundle], summary: RunSummary, say: Callable[[str], None],
               trainer: Callable[..., Any], progress: bool, resume: bool, options: CoreOptions | None,
               dist: DistInfo, provenance: dict[str, Any], runtime: dict[str, Any]) -> dict[str, DataBundle]:
    dkey = content_hash(spec.config["data"])
    if dkey not in data_cache:
        data_cache = {dkey: load_data(spec.config["data"])}  # one dataset in memory at a time
    data = data_cache[dkey]
    run_dir = store.run_dir(spec.relpath)
    say(f"[{i}/{n}] {spec.run_id} ({spec.config['model']['name']}, {device})")
    t0 = time.perf_counter()
    result = trainer(spec.config, data, device, spec.seed, progress=progress, run_dir=run_dir, resume=resume,
                     options=options, dist=dist, config_hash=spec.config_hash, log=say, run_name=spec.run_id)
    wall = time.perf_counter() - t0
    if dist.is_main:
        record = make_record(spec, result, provenance, wall, data.meta, runtime)
        if result.status == "complete" and spec.config.get("analysis"):
            record["analysis"] = analyse(spec.config, data, run_dir, device, say)
        store.write(spec.relpath, record, replace=True)
        clear_checkpoints(run_dir)  # the record (and the final weights) now hold the outcome
    if result.status == "complete":
        summary.ran.append(spec.run_id)
        say(f"    top-1 {result.metrics['test_acc']:.2f}%  ({wall:.1f} s)")
    else:
        summary.failed.append(spec.run_id)
        say(f"    FAILED: {result.error} (record marked failed, not counted)")
    return data_cache
