"""The leaderboard: per suite and tier, one row per arm and data fraction, plus the claims."""

from __future__ import annotations

import json
import statistics
from typing import Any

from tabulate import tabulate

from ..suite import Suite
from ..verdicts import Verdict, evaluate, select_records

FORMATS = {"md": "pipe", "github": "github", "csv": None, "json": None}
ARM_COLUMNS = ["Suite", "Version", "Tier", "Arm", "Model", "Data", "n", "Top-1 (%)", "Verdict", "Device"]
CLAIM_COLUMNS = ["Suite", "Version", "Tier", "Claim", "Check", "Verdict", "Detail"]


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def build_tables(suites: list[Suite], records: list[dict[str, Any]], tiers: list[str] | None = None,
                 baselines: Any = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for the arm table and the claims table, from stored records only."""
    arm_rows: list[dict[str, Any]] = []
    claim_rows: list[dict[str, Any]] = []
    for suite in suites:
        for tier in suite.tiers:
            if tiers and tier not in tiers:
                continue
            fresh, stale = select_records(suite, tier, records)
            if not fresh and not stale and not tiers:
                continue
            verdicts = evaluate(suite, tier, records, baselines=baselines)
            arm_rows += _arm_rows(suite, tier, fresh, verdicts)
            for v in verdicts:
                claim_rows.append({"Suite": suite.name, "Version": suite.version, "Tier": tier,
                                   "Claim": v.claim or "-", "Check": v.name, "Verdict": v.status, "Detail": v.detail})
            if stale:
                claim_rows.append({"Suite": suite.name, "Version": suite.version, "Tier": tier, "Claim": "-",
                                   "Check": "stale records", "Verdict": "not run",
                                   "Detail": f"{stale} record(s) from an older config of this version ignored"})
    return arm_rows, claim_rows


def _arm_rows(suite: Suite, tier: str, records: list[dict[str, Any]], verdicts: list[Verdict]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["arm"], r["data_label"]), []).append(r)
    rows = []
    order = {a: i for i, a in enumerate(suite.arms)}
    for (arm, label), recs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        accs = [r["metrics"]["test_acc"] for r in sorted(recs, key=lambda r: r["seed"])]
        mine = [v for v in verdicts if arm in v.arms and v.data in ("", label)]
        status = _worst([v.status for v in mine]) if mine else "-"
        rows.append({
            "Suite": suite.name, "Version": suite.version, "Tier": tier, "Arm": suite.arm_label(arm),
            "Model": recs[0]["config"]["model"]["name"], "Data": label, "n": len(recs),
            "Top-1 (%)": _mean_std(accs), "Verdict": status,
            "Device": ",".join(sorted({r["provenance"].get("device_name", "?") for r in recs})),
            "_values": accs,
        })
    return rows


def _worst(statuses: list[str]) -> str:
    for s in ("fail", "inconclusive", "not run", "pass"):
        if s in statuses:
            return s
    return "-"


def render(arm_rows: list[dict[str, Any]], claim_rows: list[dict[str, Any]], fmt: str = "github") -> str:
    if fmt == "json":
        clean = [{k: v for k, v in r.items() if k != "_values"} | {"values": r["_values"]} for r in arm_rows]
        return json.dumps({"arms": clean, "claims": claim_rows}, indent=2)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["table"] + ARM_COLUMNS)
        for r in arm_rows:
            w.writerow(["arms"] + [r[c] for c in ARM_COLUMNS])
        w.writerow(["table"] + CLAIM_COLUMNS)
        for r in claim_rows:
            w.writerow(["claims"] + [r[c] for c in CLAIM_COLUMNS])
        return buf.getvalue()
    tf = FORMATS[fmt]
    if not arm_rows and not claim_rows:
        return "no results yet: run `prs-bench run` first"
    parts = ["## Arms", tabulate([[r[c] for c in ARM_COLUMNS] for r in arm_rows], ARM_COLUMNS, tablefmt=tf),
             "", "## Claims and checks",
             tabulate([[r[c] for c in CLAIM_COLUMNS] for r in claim_rows], CLAIM_COLUMNS, tablefmt=tf)]
    return "\n".join(parts)
