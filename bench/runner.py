"""Planned runs -> training core -> run records. Finished runs are skipped unless rerun.

Each run trains in its scratch folder ``store.run_dir(relpath)`` (checkpoints, events.jsonl,
final.safetensors + final.json). ``resume`` continues an interrupted run from its newest valid checkpoint. Under
torchrun every rank trains and only rank 0 logs and writes records.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch

from .data import DataBundle, load_data
from .records import RecordStore, RunHeld, collect_provenance, make_record
from .records.metrics import TEST_ACC
from .suite import RunSpec
from .suite.hashing import content_hash
from .train import CoreOptions, RunContext, Trainer, train_run
from .train.checkpoint import clear_checkpoints
from .train.distributed import DistInfo
from .train.engine import resolve_options, runtime_of


@dataclass
class RunSummary:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # another live process was running them


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def analyse(
    config: dict[str, Any], data: DataBundle, run_dir: Any, device: torch.device, say: Callable[[str], None]
) -> dict[str, Any]:
    """Post-training analysis the tier asks for, from the run's final checkpoint."""
    from .analysis.loading import analyse_checkpoint, find_checkpoint, read_checkpoint

    n = config["analysis"]["fourier_images"]
    t0 = time.perf_counter()
    summary = analyse_checkpoint(config, data, read_checkpoint(find_checkpoint(run_dir)), images=n, device=device)
    say(
        f"    Fourier analysis of {summary['images']} test images ({time.perf_counter() - t0:.1f} s): "
        f"mean high-frequency delta {summary['hf_delta_mean']:.3f}"
    )
    return {"fourier": summary}


@dataclass
class Job:
    """What every run of one ``run_all`` call shares (picklable: side-by-side workers get a copy)."""

    store_root: str
    device: torch.device
    progress: bool
    trainer: Trainer
    resume: bool
    rerun: bool
    options: CoreOptions | None
    provenance: dict[str, Any]
    runtime: dict[str, Any]


_DATA: dict[str, DataBundle] = {}  # one dataset in memory at a time, per process


def _data(spec: RunSpec) -> DataBundle:
    key = content_hash(spec.config["data"])
    if key not in _DATA:
        _DATA.clear()
        _DATA[key] = load_data(spec.config["data"])
    return _DATA[key]


def run_one(job: Job, spec: RunSpec, dist: DistInfo, say: Callable[[str], None]) -> tuple[str, str, str]:
    """Train one spec under its lock, analyse it, write its record: (run id, outcome, message).

    Outcomes: complete, failed, skipped (another process finished it meanwhile), held (another
    live process holds its lock). Under torchrun the lock covers the record write only.
    """
    store = RecordStore(job.store_root)
    try:
        with store.lock(spec.relpath) if not dist.active else nullcontext():
            if not dist.active and not job.rerun and store.is_complete(spec.relpath, spec.config_hash, job.runtime):
                return spec.run_id, "skipped", "finished by another process meanwhile"
            return _train_one(job, spec, store, dist, say)
    except RunHeld as exc:
        return spec.run_id, "held", f"skipping {spec.run_id}: {exc}"


def _train_one(
    job: Job, spec: RunSpec, store: RecordStore, dist: DistInfo, say: Callable[[str], None]
) -> tuple[str, str, str]:
    data = _data(spec)
    run_dir = store.run_dir(spec.relpath)
    t0 = time.perf_counter()
    ctx = RunContext(
        job.device, job.options or CoreOptions(), dist, run_dir, resume=job.resume, progress=job.progress, log=say
    )
    result = job.trainer(spec, data, ctx)
    wall = time.perf_counter() - t0
    if dist.is_main:
        record = make_record(spec, result, job.provenance, wall, data.meta, job.runtime)
        if result.status == "complete" and spec.config.get("analysis"):
            record = record.with_analysis(analyse(spec.config, data, run_dir, job.device, say))
        store.write(spec.relpath, record, replace=True)
        clear_checkpoints(run_dir)  # the record (and the final weights) now hold the outcome
    if result.status == "complete":
        return spec.run_id, "complete", f"top-1 {result.metrics[TEST_ACC]:.2f}%  ({wall:.1f} s)"
    return spec.run_id, "failed", f"FAILED: {result.error} (record marked failed, not counted)"


def _worker(job: Job, spec: RunSpec, head: str) -> tuple[str, str, str]:
    """One run in a side-by-side worker process: one intra-op thread, so N workers fill N cores."""
    torch.set_num_threads(1)
    log(head)
    run_id, outcome, msg = run_one(job, spec, DistInfo(), log)
    log(f"    {spec.run_id}: {msg}")
    return run_id, outcome, msg


def side_by_side(device: torch.device, dist: DistInfo, runs: int, parallel: int | None) -> int:
    """How many runs to train at once: ``parallel``, or on a CPU (one process, no torchrun) one per core."""
    if parallel is not None:
        return max(1, min(parallel, runs))
    if device.type != "cpu" or dist.active:
        return 1
    import os

    return max(1, min(os.cpu_count() or 1, runs))


def run_all(
    specs: list[RunSpec],
    store: RecordStore,
    device: torch.device,
    rerun: bool = False,
    progress: bool | None = None,
    trainer: Trainer = train_run,
    resume: bool = False,
    options: CoreOptions | None = None,
    dist: DistInfo | None = None,
    parallel: int | None = 1,
) -> RunSummary:
    """Train every spec not already done (same config hash and runtime) and write its record.

    Each run trains under its lock (``store.lock``): a run another live process holds is skipped
    with one line naming that process, so two invocations on one results folder share the work
    instead of training a run twice. ``parallel`` > 1 trains that many runs side by side in worker
    processes with one thread each (``None``: one per CPU core on a CPU, else 1); the records are
    the same, only faster on idle cores.
    """
    dist = dist or DistInfo.current()
    say = log if dist.is_main else (lambda msg: None)
    summary = RunSummary()
    runtime = runtime_of(resolve_options(options or CoreOptions(), device), device, dist.world)
    todo = [s for s in specs if rerun or not store.is_complete(s.relpath, s.config_hash, runtime)]
    summary.skipped = [s.run_id for s in specs if s not in todo]
    if summary.skipped:
        say(f"skipping {len(summary.skipped)} finished run(s) (use --rerun to repeat them)")
    workers = side_by_side(device, dist, len(todo), parallel)
    progress = (sys.stderr.isatty() and dist.is_main and workers == 1) if progress is None else progress
    job = Job(
        str(store.root),
        device,
        progress,
        trainer,
        resume,
        rerun,
        options,
        {**collect_provenance(device), "world_size": dist.world},
        runtime,
    )
    heads = [f"[{i}/{len(todo)}] {s.run_id} ({s.config['model']['name']}, {device})" for i, s in enumerate(todo, 1)]
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            outcomes = list(pool.map(_worker, [job] * len(todo), todo, heads))
    else:
        outcomes = []
        for spec, head in zip(todo, heads, strict=True):
            say(head)
            outcomes.append(run_one(job, spec, dist, say))
            say(outcomes[-1][2] if outcomes[-1][1] == "held" else f"    {outcomes[-1][2]}")
    lists = {"complete": summary.ran, "failed": summary.failed, "skipped": summary.skipped, "held": summary.held}
    for run_id, outcome, _ in outcomes:
        lists[outcome].append(run_id)
    return summary
