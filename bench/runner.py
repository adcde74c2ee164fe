"""Planned runs -> training core -> run records. Finished runs are skipped unless rerun.

Each run trains in its scratch folder ``store.run_dir(relpath)`` (checkpoints, events.jsonl,
final.safetensors + final.json). ``resume`` continues an interrupted run from its newest valid checkpoint. Under
torchrun every rank trains and only rank 0 logs and writes records.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import torch

from .data import DataBundle, load_data
from .records import RecordStore, RunHeld, collect_provenance, make_record
from .records.metrics import TEST_ACC
from .suite import RunSpec
from .suite.hashing import content_hash
from .train import CoreOptions, RunContext, Trainer, TrainResult, train_run
from .train.checkpoint import clear_checkpoints
from .train.context import stderr_line as log
from .train.distributed import DistInfo
from .train.engine import flush_denormals, resolve_options, runtime_of
from .train.final import copy_final
from .train.progress import PENDING_STOP, Interrupted, duration, note_stop
from .train.sharing import training_key


@dataclass
class RunSummary:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # another live process was running them


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


@dataclass
class Trained:
    """A complete training this process did: what a run with the same training key may reuse."""

    spec: RunSpec
    result: TrainResult
    wall: float
    run_dir: Path


_TRAINED: dict[str, Trained] = {}  # training key -> its complete training in this process's ``run_all`` call


def _train_one(
    job: Job, spec: RunSpec, store: RecordStore, dist: DistInfo, say: Callable[[str], None]
) -> tuple[str, str, str]:
    data = _data(spec)
    run_dir = store.run_dir(spec.relpath)
    key = training_key(spec)
    earlier = _TRAINED.get(key)
    if earlier is not None and copy_final(earlier.run_dir, run_dir, spec.config_hash):
        return _reuse(job, spec, earlier, store, data, run_dir, dist, say)
    t0 = time.perf_counter()
    ctx = RunContext(
        job.device, job.options or CoreOptions(), dist, run_dir, resume=job.resume, progress=job.progress, log=say
    )
    result = job.trainer(spec, data, ctx)
    wall = time.perf_counter() - t0
    if result.status == "complete":
        _TRAINED[key] = Trained(spec, result, wall, run_dir)
    if dist.is_main:
        _write_record(job, spec, result, job.provenance, wall, store, data, run_dir, say)
    if result.status == "complete":
        return spec.run_id, "complete", f"top-1 {result.metrics[TEST_ACC]:.2f}%  ({wall:.1f} s)"
    return spec.run_id, "failed", f"FAILED: {result.error} (record marked failed, not counted)"


def _write_record(
    job: Job,
    spec: RunSpec,
    result: TrainResult,
    provenance: dict[str, Any],
    wall: float,
    store: RecordStore,
    data: DataBundle,
    run_dir: Path,
    say: Callable[[str], None],
) -> None:
    """Write ``spec``'s record of ``result`` (with the analysis its tier asks for, on the weights in
    ``run_dir``), then drop the run's checkpoints: the record and the final weights hold the outcome."""
    record = make_record(spec, result, provenance, wall, data.meta, job.runtime)
    if result.status == "complete" and spec.config.get("analysis"):
        record = record.with_analysis(analyse(spec.config, data, run_dir, job.device, say))
    store.write(spec.relpath, record, replace=True, announce=lambda msg: say(f"    {msg}"))
    clear_checkpoints(run_dir)


def _reuse(
    job: Job,
    spec: RunSpec,
    earlier: Trained,
    store: RecordStore,
    data: DataBundle,
    run_dir: Path,
    dist: DistInfo,
    say: Callable[[str], None],
) -> tuple[str, str, str]:
    """Record ``spec`` from an equal training this process did (its final weights are already
    copied into ``run_dir``); the record names the run that trained and carries that training's wall
    time. Its own analysis runs on the copied weights."""
    if dist.is_main:
        provenance = {**job.provenance, "shared_training": earlier.spec.run_id}
        _write_record(job, spec, earlier.result, provenance, earlier.wall, store, data, run_dir, say)
    acc = earlier.result.metrics[TEST_ACC]
    return spec.run_id, "complete", f"top-1 {acc:.2f}%  (same training as {earlier.spec.run_id}, not repeated)"


def _init_worker() -> None:
    """A side-by-side worker: one intra-op thread (N workers fill N cores); a SIGINT/SIGTERM that
    arrives outside a run's training loop (data, analysis, record) is kept, so the run in progress
    stops at its next step and no further run starts. While a run trains, the core's own handler
    takes the signal: checkpoint at the next step boundary, ``Interrupted``. Subnormals flush to zero
    (``flush_denormals``) before anything computes."""
    flush_denormals()
    torch.set_num_threads(1)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, note_stop)


def _worker(job: Job, specs: list[RunSpec], heads: list[str]) -> list[tuple[str, str, str]]:
    """Runs with one training key, one after the other in a side-by-side worker (``_init_worker``):
    the first trains, the others reuse it."""
    outcomes = []
    for spec, head in zip(specs, heads, strict=True):
        if PENDING_STOP:
            outcomes.append((spec.run_id, "interrupted", "not started (stopped)"))
            continue
        log(head)
        try:
            outcome = run_one(job, spec, DistInfo(), log)
        except Interrupted as exc:
            PENDING_STOP.append("interrupted")
            outcome = (spec.run_id, "interrupted", str(exc))
        log(f"    {spec.run_id}: {outcome[2]}")
        outcomes.append(outcome)
    return outcomes


@contextmanager
def _forward_stop(pool: Any, futures: list[Any]) -> Iterator[list[str]]:
    """While side-by-side workers train: the first SIGINT/SIGTERM to this process cancels the runs
    not yet started and sends SIGTERM to every worker (each checkpoints its run and stops); a second
    SIGINT interrupts at once. Yields the names of the signals received."""
    got: list[str] = []

    def handle(signum: int, frame: FrameType | None) -> None:
        if got and signum == signal.SIGINT:
            raise KeyboardInterrupt
        got.append(signal.Signals(signum).name)
        for f in futures:
            f.cancel()
        for pid in list(getattr(pool, "_processes", None) or {}):  # the executor's worker processes
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    old = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield got
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _side_by_side(job: Job, todo: list[RunSpec], heads: list[str], workers: int) -> list[tuple[str, str, str]]:
    """Train ``todo`` in ``workers`` worker processes, runs with equal training keys in one task (so
    one trains and the others reuse it); raises ``Interrupted`` once every worker has stopped if this
    process was asked to stop."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, wait

    groups: dict[str, list[int]] = {}
    for i, spec in enumerate(todo):
        groups.setdefault(training_key(spec), []).append(i)
    tasks = [([todo[i] for i in idx], [heads[i] for i in idx]) for idx in groups.values()]
    # CPU runs on Linux fork (the workers start with this process's imports: 5-12 s less per command
    # on 2 cores; each sets one thread first, as torch's DataLoader workers do). Elsewhere fork is
    # unsafe, and CUDA, which this process has initialised for the provenance, cannot be forked.
    start = "fork" if sys.platform == "linux" and job.device.type == "cpu" else "spawn"
    with ProcessPoolExecutor(workers, mp_context=mp.get_context(start), initializer=_init_worker) as pool:
        futures = [pool.submit(_worker, job, specs, hs) for specs, hs in tasks]
        with _forward_stop(pool, futures) as got:
            wait(futures)
    outcomes = [o for f in futures if not f.cancelled() for o in f.result()]
    stopped = [o for o in outcomes if o[1] == "interrupted"]
    if got or stopped:
        raise Interrupted(
            f"{len(stopped)} run(s) stopped with a checkpoint ({', '.join(got) or 'a worker was stopped'})"
        )
    return outcomes


class PlanClock:
    """The ETA of a plan trained one run at a time: the wall time of the runs finished so far, scaled
    to the runs left by the cost model's estimates (``cost``) when there is one, else by their count."""

    def __init__(self, specs: list[RunSpec], cost: Callable[[RunSpec], float] | None) -> None:
        self.cost = cost
        self.left = list(specs)
        self.spent = self.estimated = 0.0
        self.count = 0

    def finished(self, spec: RunSpec, seconds: float) -> str | None:
        """A line after each run but the last: runs done, time spent, time left."""
        self.left = [s for s in self.left if s.run_id != spec.run_id]
        self.spent += seconds
        self.count += 1
        if self.cost is not None:
            self.estimated += self.cost(spec)
        if not self.left:
            return None
        if self.cost is not None and self.estimated > 0:
            eta = self.spent / self.estimated * sum(self.cost(s) for s in self.left)
        else:
            eta = self.spent / self.count * len(self.left)
        total = self.count + len(self.left)
        return f"    plan: {self.count}/{total} runs done in {duration(self.spent)}; about {duration(eta)} left"


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
    cost: Callable[[RunSpec], float] | None = None,
) -> RunSummary:
    """Train every spec not already done (same config hash and runtime) and write its record.

    Each run trains under its lock (``store.lock``): a run another live process holds is skipped
    with one line naming that process, so two invocations on one results folder share the work
    instead of training a run twice. ``parallel`` > 1 trains that many runs side by side in worker
    processes with one thread each (``None``: one per CPU core on a CPU, else 1); the records are
    the same, only faster on idle cores. Runs whose training is equal (``training_key``: suites that
    share an arm's config) train once; the others get records of that training, each with its own
    final weights and analysis. ``cost`` (estimated seconds of a run) orders side-by-side
    runs longest first, so the workers finish close together.
    """
    dist = dist or DistInfo.current()
    say = log if dist.is_main else (lambda msg: None)
    summary = RunSummary()
    _TRAINED.clear()  # reuse within one call only: another call may have other options, or --rerun
    runtime = runtime_of(resolve_options(options or CoreOptions(), device), device, dist.world)
    todo = [s for s in specs if rerun or not store.is_complete(s.relpath, s.config_hash, runtime)]
    for s in todo:
        store.check_destination(s.relpath)  # before any training: a run must be able to keep its record
        if not rerun:
            store.check_runtime(s.relpath, s.config_hash, runtime)  # nor silently replace another runtime's
    summary.skipped = [s.run_id for s in specs if s not in todo]
    if summary.skipped:
        say(f"skipping {len(summary.skipped)} finished run(s) (use --rerun to repeat them)")
    workers = side_by_side(device, dist, len(todo), parallel)
    if workers > 1 and cost is not None:
        rank = {s.run_id: i for i, s in enumerate(todo)}
        todo.sort(key=lambda s: (-cost(s), rank[s.run_id]))
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
        outcomes = _side_by_side(job, todo, heads, workers)
    else:
        outcomes = []
        clock = PlanClock(todo, cost)
        for spec, head in zip(todo, heads, strict=True):
            say(head)
            t0 = time.perf_counter()
            outcomes.append(run_one(job, spec, dist, say))
            say(outcomes[-1][2] if outcomes[-1][1] == "held" else f"    {outcomes[-1][2]}")
            line = clock.finished(spec, time.perf_counter() - t0)
            if line:
                say(line)
    lists = {"complete": summary.ran, "failed": summary.failed, "skipped": summary.skipped, "held": summary.held}
    for run_id, outcome, _ in outcomes:
        lists[outcome].append(run_id)
    return summary
