"""``prs-bench run --dry-run``: the planned runs with their cost and status, a total per tier, and
one line for the whole command.

It counts what ``prs-bench run`` would train: runs with equal trainings (``training_key``) train
once per command, the first to do in plan order, and the others get a record of it; side by side,
the trainings start longest first on ``workers`` processes, so the wall time is that packing.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from ..train.sharing import training_key
from .cost import RunCost, estimate, human_flops, human_seconds

STATUSES = ("done", "pending", "stale")


@dataclass(frozen=True)
class PlanRow:
    """One planned run as the dry run shows it."""

    spec: Any  # RunSpec
    cost: RunCost
    status: str  # done, pending or stale
    todo: bool  # this command trains or records it: not done, or --rerun
    same_training_as: str | None  # run id of the earlier run of this command whose training this run reuses
    first_of_training: bool  # the first run of the whole plan with its training (what a --rerun would train)

    @property
    def trains(self) -> bool:
        """This command trains it: to do, and no earlier run to do has the same training."""
        return self.todo and self.same_training_as is None

    @property
    def seconds_to_do(self) -> float:
        return self.cost.seconds if self.trains else 0.0


def plan_rows(
    specs: Sequence[Any],
    status: Callable[[Any], str],
    device_type: str,
    precision: str,
    key: Callable[[Any], str] = training_key,
    rerun: bool = False,
) -> list[PlanRow]:
    """``specs`` in plan order with cost, status and the training each shares, as the runner decides
    it: among the runs to do (not done; every run with ``rerun``), the first with a training key
    trains, the later ones reuse it."""
    rows: list[PlanRow] = []
    first_todo: dict[str, str] = {}
    seen: set[str] = set()
    for s in specs:
        k, st = key(s), status(s)
        todo = rerun or st != "done"
        shared = first_todo.get(k) if todo else None
        if todo:
            first_todo.setdefault(k, s.run_id)
        rows.append(PlanRow(s, estimate(s.config, device_type, precision), st, todo, shared, k not in seen))
        seen.add(k)
    return rows


def lpt_makespan(seconds: Sequence[float], workers: int) -> float:
    """Wall time of ``seconds``-long jobs started longest first, each on the first free of ``workers``
    (what a process pool does with jobs submitted longest first)."""
    loads = [0.0] * max(1, workers)
    for s in sorted(seconds, reverse=True):
        heapq.heapreplace(loads, loads[0] + s)
    return max(loads)


def render_plan(rows: list[PlanRow], device_type: str, precision: str, workers: int = 1, fmt: str = "github") -> str:
    """One line per run, then one per suite tier, then one for the command; every time is labelled
    an estimate. ``workers``: runs side by side (``runner.side_by_side``)."""
    runs = [
        {
            "run": r.spec.run_id,
            "model": r.spec.config["model"]["name"],
            "epochs": r.cost.epochs,
            "images": f"{r.cost.images:,}",
            "FLOPs": human_flops(r.cost.flops),
            "status": r.status,
            "est. time": human_seconds(r.cost.seconds) if r.same_training_as is None else "0 s",
            "training": f"same as {r.same_training_as}" if r.same_training_as else "",
            "basis": r.cost.basis,
        }
        for r in rows
    ]
    tiers: dict[tuple[str, str], list[PlanRow]] = {}
    for r in rows:
        tiers.setdefault((r.spec.suite, r.spec.tier), []).append(r)
    totals = []
    for (suite, tier), group in tiers.items():
        counts = {k: sum(1 for r in group if r.status == k) for k in STATUSES}
        once = [r for r in group if r.first_of_training]
        totals.append(
            {
                "suite": suite,
                "tier": tier,
                "runs": len(group),
                **counts,
                "trainings (to do)": sum(1 for r in group if r.trains),
                "images": f"{sum(r.cost.images for r in once):,}",
                "FLOPs": human_flops(sum(r.cost.flops for r in once)),
                "est. time (all)": human_seconds(sum(r.cost.seconds for r in once)),
                "est. time (to do)": human_seconds(sum(r.seconds_to_do for r in group)),
            }
        )
    head = (
        f"Estimated device time on {device_type} at {precision}: training + per-epoch evaluation only "
        "(no start-up, data loading or analysis); an estimate, see docs/PERFORMANCE.md."
    )
    foot = (
        "Runs with the same training (config without analysis, effective recipe and data, seed) train once "
        "per command: a training counts once, in the first suite tier that plans it; the others show "
        '"same as" and 0 s.'
    )
    return "\n\n".join(
        [
            head,
            tabulate(runs, headers="keys", tablefmt=fmt),
            tabulate(totals, headers="keys", tablefmt=fmt),
            foot + "\n" + closing_line(rows, workers),
        ]
    )


def closing_line(rows: list[PlanRow], workers: int) -> str:
    """The whole command: trainings to do, their estimated device time, and side by side the
    estimated wall time of starting them longest first on ``workers`` processes."""
    todo = [r.cost.seconds for r in rows if r.trains]
    line = (
        f"This command: {len(rows)} run(s), {sum(1 for r in rows if r.todo)} to do, {len(todo)} training(s) "
        f"to do; est. device time {human_seconds(sum(todo))}"
    )
    if workers > 1 and todo:
        wall = human_seconds(lpt_makespan(todo, workers))
        line += f"; est. wall time {wall} with {workers} runs side by side, longest first"
    return line + " (estimates)."
