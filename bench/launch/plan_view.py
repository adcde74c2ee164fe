"""``prs-bench run --dry-run``: the planned runs with their cost and status, and a total per tier."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tabulate import tabulate

from .cost import RunCost, estimate, human_flops, human_seconds

STATUSES = ("done", "pending", "stale")


def plan_rows(
    specs: Sequence[Any], status: Callable[[Any], str], device_type: str, precision: str
) -> list[tuple[Any, RunCost, str]]:
    return [(s, estimate(s.config, device_type, precision), status(s)) for s in specs]


def render_plan(rows: list[tuple[Any, RunCost, str]], device_type: str, precision: str, fmt: str = "github") -> str:
    """One line per run, then one per suite tier; every time is labelled an estimate."""
    runs = [
        {
            "run": s.run_id,
            "model": s.config["model"]["name"],
            "epochs": c.epochs,
            "images": f"{c.images:,}",
            "FLOPs": human_flops(c.flops),
            "status": st,
            "est. time": human_seconds(c.seconds),
            "basis": c.basis,
        }
        for s, c, st in rows
    ]
    tiers: dict[tuple[str, str], list[tuple[Any, RunCost, str]]] = {}
    for row in rows:
        tiers.setdefault((row[0].suite, row[0].tier), []).append(row)
    totals = []
    for (suite, tier), group in tiers.items():
        counts = {k: sum(1 for _, _, st in group if st == k) for k in STATUSES}
        totals.append(
            {
                "suite": suite,
                "tier": tier,
                "runs": len(group),
                **counts,
                "images": f"{sum(c.images for _, c, _ in group):,}",
                "FLOPs": human_flops(sum(c.flops for _, c, _ in group)),
                "est. time (all)": human_seconds(sum(c.seconds for _, c, _ in group)),
                "est. time (to do)": human_seconds(sum(c.seconds for _, c, st in group if st != "done")),
            }
        )
    head = (
        f"Estimated device time on {device_type} at {precision}: training + per-epoch evaluation only "
        "(no start-up, data loading or analysis); an estimate, see docs/PERFORMANCE.md."
    )
    return "\n\n".join(
        [head, tabulate(runs, headers="keys", tablefmt=fmt), tabulate(totals, headers="keys", tablefmt=fmt)]
    )
