"""Run a tier's declared checks over its records."""

from __future__ import annotations

from typing import Any

from ..schema import validate_table
from ..suite import Suite, plan_runs
from .context import CheckContext
from .params import check_schema
from .registry import CHECKS
from .types import Verdict


def select_records(suite: Suite, tier: str, records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Complete records of this suite version and tier whose config hash matches today's plan.

    Returns (records, stale count). Other versions and tiers are never mixed in.
    """
    current = {s.config_hash for s in plan_runs(suite, tier, seeds=[0])}
    same = [
        r
        for r in records
        if r["suite"] == suite.name
        and r["version"] == suite.version
        and r["tier"] == tier
        and r.get("status") == "complete"
    ]
    fresh = [r for r in same if r["config_hash"] in current]
    return fresh, len(same) - len(fresh)


def evaluate(
    suite: Suite, tier: str, records: list[dict[str, Any]], baselines: Any = None, seeds: list[int] | None = None
) -> list[Verdict]:
    fresh, stale = select_records(suite, tier, records)
    planned = plan_runs(suite, tier, seeds=seeds)
    ctx = CheckContext(suite, tier, planned, fresh, baselines=baselines, stale=stale)
    verdicts: list[Verdict] = []
    for i, check in enumerate(suite.tier(tier).get("checks", [])):
        run_check = CHECKS.get(check["kind"])
        validate_table(suite.path, f"tiers.{tier}.checks[{i}].", check, check_schema(check["kind"]))
        decides = check.get("decides", True)
        for v in run_check(check, ctx):
            v.claim = v.claim or check.get("claim", "")
            v.decides = decides
            verdicts.append(v)
    return verdicts


def validate_checks(suite: Suite, baselines: Any = None) -> None:
    """Raise BenchError for a bad check table in any tier, before anything is trained.

    Every check validates its own keys when it runs, so running each tier's checks on no
    records is the validation (they all come back "not run").
    """
    for tier in suite.tiers:
        evaluate(suite, tier, [], baselines=baselines)
