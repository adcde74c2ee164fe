"""What a results folder holds against the suites' plans: per suite tier, runs done, running,
failed, resumable, stale and pending; then one line per running run (epoch, ETA, process), per
failed run (its error) and per interrupted run (its newest checkpoint).

Reads only: records, run locks and event logs; it takes no lock, so it never gets in the way of
a run. "Running" means a live process holds the run's lock on this machine (Linux /proc/locks,
else the pid the lock file names); a run trained on another node of a cluster shows as running
while its event log moved in the last --stale-after minutes. Tiers shown: those given with
--tier, else every tier with at least one record, lock or run folder in RESULTS.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..records import BadRecord, RecordStore
from ..records.lock import holder_info
from ..suite.plan import RunSpec, plan_runs
from ..suite_check import load_checked_suites
from ..train.progress import duration
from .common import add_suites_dir

STATES = ("done", "running", "failed", "resumable", "stale", "pending")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="?", type=Path, default=Path("results"), help="results folder")
    p.add_argument("--suite", action="append", default=None, help="only these suites (repeatable)")
    p.add_argument("--tier", action="append", default=None, help="only these tiers (repeatable)")
    p.add_argument(
        "--stale-after",
        type=float,
        default=30.0,
        metavar="MIN",
        help="a run locked by another host counts as running while its event log moved in the last MIN minutes",
    )
    add_suites_dir(p)


@dataclass
class RunState:
    spec: RunSpec
    state: str  # one of STATES
    note: str = ""


def _local_flock_inodes() -> set[int] | None:
    """Inodes with a FLOCK on this machine (/proc/locks), None where the kernel does not list them."""
    try:
        text = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    inodes = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "FLOCK":
            try:
                inodes.add(int(parts[5].rsplit(":", 1)[-1]))
            except ValueError:
                continue
    return inodes


def _events(run_dir: Path) -> list[dict[str, Any]]:
    try:
        lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill
        if isinstance(ev, dict):
            out.append(ev)
    return out


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


class Inspector:
    """Classifies planned runs from what RESULTS holds (records, locks, event logs, checkpoints)."""

    def __init__(self, store: RecordStore, stale_after_s: float) -> None:
        self.store, self.stale_after_s = store, stale_after_s
        self.flocked = _local_flock_inodes()
        self.host = socket.gethostname()
        self.now = time.time()

    def touched(self, spec: RunSpec) -> bool:
        p = self.store.path(spec.relpath)
        return p.exists() or p.with_suffix(".lock").exists() or self.store.run_dir(spec.relpath).is_dir()

    def running(self, spec: RunSpec, events: list[dict[str, Any]]) -> str | None:
        """A note ("pid N on HOST") when a live process holds the run's lock, else None."""
        lock = self.store.path(spec.relpath).with_suffix(".lock")
        if not lock.exists():
            return None
        info = holder_info(lock)
        who = f"pid {info.get('pid', '?')} on {info.get('host', '?')}"
        if info.get("host") == self.host:
            if self.flocked is not None:
                return who if lock.stat().st_ino in self.flocked else None
            return who if _alive(info.get("pid")) else None
        last = events[-1] if events else {}
        t = last.get("time")
        if isinstance(t, (int, float)) and self.now - t < self.stale_after_s and last.get("event") != "end":
            return f"{who} (event log moved {duration(self.now - t)} ago)"
        return None

    def progress(self, spec: RunSpec, events: list[dict[str, Any]]) -> str:
        epochs = int(spec.config.get("recipe", {}).get("epochs") or 0)
        events = [e for e in events if isinstance(e.get("time"), (int, float))]
        starts = [e for e in events if e.get("event") in ("start", "resume")]
        done = [e for e in events if e.get("event") == "epoch"]
        if not done:
            return "starting (no epoch finished yet)"
        last = done[-1]
        text = f"epoch {last.get('epoch')}/{epochs or '?'}"
        if starts and epochs and isinstance(last.get("epoch"), int):
            since = [e for e in done if e["time"] >= starts[-1]["time"]]
            if since:
                per = (last["time"] - starts[-1]["time"]) / len(since)
                text += f", ETA {duration(per * (epochs - last['epoch']))}"
        return text

    def inspect(self, spec: RunSpec) -> RunState:
        try:
            rec = self.store.read(spec.relpath)
        except BadRecord as exc:
            return RunState(spec, "pending", f"unusable record: {exc}")
        run_dir = self.store.run_dir(spec.relpath)
        if rec is not None and rec.config_hash == spec.config_hash and rec.complete:
            return RunState(spec, "done")
        events = _events(run_dir)
        who = self.running(spec, events)
        if who:
            return RunState(spec, "running", f"{self.progress(spec, events)}; {who}")
        if rec is not None and rec.config_hash == spec.config_hash:
            return RunState(spec, "failed", rec.error or "failed (no error recorded)")
        checkpoints = sorted((run_dir / "checkpoints").glob("ckpt-*.pt")) if run_dir.is_dir() else []
        if checkpoints:
            return RunState(spec, "resumable", f"checkpoint {checkpoints[-1].name}; continue with --resume")
        if rec is not None:
            return RunState(spec, "stale", f"record of another config (hash {rec.config_hash[:12]})")
        return RunState(spec, "pending")


def main(args: argparse.Namespace) -> int:
    store = RecordStore(args.results)
    if not args.results.is_dir():
        raise BenchError(f"{args.results}: no such results folder; give the folder `prs-bench run --out` wrote")
    suites = load_checked_suites(args.suite, args.suites_dir)
    inspector = Inspector(store, 60.0 * args.stale_after)
    shown = 0
    for suite in suites:
        tiers = [t for t in suite.tiers if args.tier is None or t in args.tier]
        for tier in tiers:
            specs = plan_runs(suite, tier)
            if args.tier is None and not any(inspector.touched(s) for s in specs):
                continue
            shown += 1
            states = [inspector.inspect(s) for s in specs]
            counts = {k: sum(s.state == k for s in states) for k in STATES}
            parts = [f"{counts['done']}/{len(specs)} done"] + [f"{counts[k]} {k}" for k in STATES[1:] if counts[k]]
            print(f"{suite.name} v{suite.version} {tier}: {', '.join(parts)}")
            for s in states:
                if s.state not in ("done", "pending") or s.note:
                    print(f"    {s.state:9s} {s.spec.run_id}: {s.note}")
    if not shown:
        raise BenchError(
            f"{args.results}: no runs of any suite tier started here; give --tier to list a tier's planned runs"
        )
    return 0
