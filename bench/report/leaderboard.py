"""The leaderboard: per suite and tier, one row per arm and data fraction, the claims summary,
and every check's verdict with its detail. Built from stored records and baselines alone."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ..baselines import Baselines
from ..records.atomic import atomic_write_bytes
from ..suite import Suite
from ..verdicts import Verdict, evaluate, select_records
from ..verdicts.context import device_of

FORMATS = {"md": "pipe", "github": "github", "csv": None, "json": None}
EXTENSIONS = {"md": "md", "csv": "csv", "json": "json"}
ARM_COLUMNS = ["Suite", "Version", "Tier", "Arm", "Model", "Data", "Epochs", "n", "Top-1 (%)", "Reference", "Band", "Verdict",
               "Device"]
SUMMARY_COLUMNS = ["Claim", "Suite", "Version", "Tier", "Checks", "pass", "fail", "inconclusive", "not run", "Verdict"]
CLAIM_COLUMNS = ["Suite", "Version", "Tier", "Claim", "Check", "Verdict", "Detail"]
SEVERITY = ("fail", "inconclusive", "not run", "pass")


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def build_tables(suites: list[Suite], records: list[dict[str, Any]], tiers: list[str] | None = None,
                 baselines: Any = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for the arm table and the per-check table, from stored records only.

    ``baselines`` defaults to the baselines folder (``$PRS_BENCH_BASELINES``, ./baselines or the
    checkout's), so band and regression checks see reported numbers and reference runs.
    """
    baselines = baselines if baselines is not None else Baselines()
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
                                   "Claim": v.claim or "-", "Check": v.name, "Verdict": v.status, "Detail": v.detail,
                                   "_verdict": v})
            if stale:
                claim_rows.append({"Suite": suite.name, "Version": suite.version, "Tier": tier, "Claim": "-",
                                   "Check": "stale records", "Verdict": "not run",
                                   "Detail": f"{stale} record(s) from an older config of this version ignored"})
    return arm_rows, claim_rows


def _arm_rows(suite: Suite, tier: str, records: list[dict[str, Any]], verdicts: list[Verdict]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in records:  # one row per device and runtime: records made differently are never averaged
        groups.setdefault((r["arm"], r["data_label"], device_of(r)), []).append(r)
    rows = []
    order = {a: i for i, a in enumerate(suite.arms)}
    for (arm, label, device), recs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1], kv[0][2])):
        accs = [r["metrics"]["test_acc"] for r in sorted(recs, key=lambda r: r["seed"])]
        mine = [v for v in verdicts if arm in v.arms and v.data in ("", label)]
        refs = [v for v in mine if v.arms and v.arms[0] == arm and "reference_label" in v.numbers]
        rows.append({
            "Suite": suite.name, "Version": suite.version, "Tier": tier, "Arm": suite.arm_label(arm),
            "Model": recs[0]["config"]["model"]["name"], "Data": label,
            "Epochs": f"{recs[0]['config']['recipe']['epochs']} ({suite.epoch_rule(tier)})"
            if "fractions" in suite.tier(tier) else str(recs[0]["config"]["recipe"]["epochs"]),
            "n": len(recs),
            "Top-1 (%)": _mean_std(accs),
            "Reference": "; ".join(f"{v.numbers['reference_label']} ({v.numbers.get('source', '-')}"
                                   + (f"; {v.numbers['statistic']}, vs {v.numbers.get('metric', 'test_acc')}"
                                      if "statistic" in v.numbers else "") + ")" for v in refs) or "-",
            "Band": "; ".join(str(v.numbers.get("band", "-")) for v in refs) or "-",
            "Verdict": worst([v.status for v in mine]) if mine else "-",
            "Device": device,
            "_values": accs,
        })
    return rows


def worst(statuses: list[str]) -> str:
    for s in SEVERITY:
        if s in statuses:
            return s
    return "-"


def summarize_claims(claim_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (claim, suite, version, tier): counts of verdicts and the worst of them."""
    groups: dict[tuple[str, str, int, str], list[str]] = {}
    for r in claim_rows:
        claim = r["Claim"] if r["Claim"] != "-" else "pipeline"
        groups.setdefault((claim, r["Suite"], r["Version"], r["Tier"]), []).append(r["Verdict"])
    rows = []
    for (claim, suite, version, tier), sts in sorted(groups.items(), key=lambda kv: (kv[0][0] == "pipeline", kv[0])):
        rows.append({"Claim": claim, "Suite": suite, "Version": version, "Tier": tier, "Checks": len(sts),
                     **{s: sts.count(s) for s in ("pass", "fail", "inconclusive", "not run")}, "Verdict": worst(sts)})
    return rows


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if obj != obj else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def render(arm_rows: list[dict[str, Any]], claim_rows: list[dict[str, Any]], fmt: str = "github") -> str:
    summary = summarize_claims(claim_rows)
    if fmt == "json":
        arms = [{k: v for k, v in r.items() if k != "_values"} | {"values": r["_values"]} for r in arm_rows]
        checks = [{k: v for k, v in r.items() if not k.startswith("_")}
                  | ({"compared": r["_verdict"].compared, "numbers": r["_verdict"].numbers} if "_verdict" in r else {})
                  for r in claim_rows]
        return json.dumps(_json_safe({"arms": arms, "claims": summary, "checks": checks}), indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for table, cols, rows in (("arms", ARM_COLUMNS, arm_rows), ("claims", SUMMARY_COLUMNS, summary),
                                  ("checks", CLAIM_COLUMNS, claim_rows)):
            w.writerow(["table"] + cols)
            for r in rows:
                w.writerow([table] + [r[c] for c in cols])
        return buf.getvalue()
    tf = FORMATS[fmt]
    if not arm_rows and not claim_rows:
        return "no results yet: run `prs-bench run` first"
    parts = ["## Arms", tabulate([[r[c] for c in ARM_COLUMNS] for r in arm_rows], ARM_COLUMNS, tablefmt=tf, disable_numparse=True),
             "", "## Claims", tabulate([[r[c] for c in SUMMARY_COLUMNS] for r in summary], SUMMARY_COLUMNS, tablefmt=tf, disable_numparse=True),
             "", "## Checks",
             tabulate([[r[c] for c in CLAIM_COLUMNS] for r in claim_rows], CLAIM_COLUMNS, tablefmt=tf, disable_numparse=True)]
    return "\n".join(parts)


def write_tables(folder: Path, arm_rows: list[dict[str, Any]], claim_rows: list[dict[str, Any]]) -> list[Path]:
    """leaderboard.md, .csv and .json in ``folder`` (atomic writes)."""
    out = []
    for fmt, ext in EXTENSIONS.items():
        p = Path(folder) / f"leaderboard.{ext}"
        atomic_write_bytes(p, (render(arm_rows, claim_rows, fmt) + "\n").encode())
        out.append(p)
    return out
