"""Compare two sets of results side by side: per suite, version, tier, arm and data, the delta
B - A of the metric with a two-sided Welch p-value. Rows only in one set are shown with '-'.
Different devices or configs on the two sides are flagged in the Note column, not hidden."""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ..verdicts import stats
from ..verdicts.context import metric_value
from .baseline_cmd import collect_records

HELP = "compare two results folders (per-arm deltas with Welch p-values)"
COLUMNS = ["Suite", "Version", "Tier", "Arm", "Data", "n A", "A", "n B", "B", "B − A", "p (Welch)", "Note"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", type=Path, metavar="A", help="results folder, runs/ folder or record file")
    p.add_argument("b", type=Path, metavar="B", help="results folder, runs/ folder or record file")
    p.add_argument("--metric", default="test_acc", help="metric path in the records (dotted)")
    p.add_argument("--format", default="github", choices=["github", "md", "csv"], help="table format")


def _groups(records: list[dict[str, Any]], metric: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in records:
        if r.get("status") == "complete":
            out.setdefault((r["suite"], r["version"], r["tier"], r["arm"], r["data_label"]), []).append(r)
    return out


def _vals(recs: list[dict[str, Any]], metric: str) -> list[float]:
    vals = [metric_value(r, metric) for r in recs]
    return stats.finite([v for v in vals if isinstance(v, (int, float))])[0]


def compare_rows(a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str = "test_acc") -> list[dict[str, Any]]:
    ga, gb = _groups(a, metric), _groups(b, metric)
    rows = []
    for key in sorted(set(ga) | set(gb), key=str):
        ra, rb = ga.get(key, []), gb.get(key, [])
        va, vb = _vals(ra, metric), _vals(rb, metric)
        notes = []
        devs = {s: {r.get("provenance", {}).get("device_name", "?") for r in rs} for s, rs in (("A", ra), ("B", rb))}
        if ra and rb and devs["A"] != devs["B"]:
            notes.append(f"devices differ: {', '.join(sorted(devs['A']))} vs {', '.join(sorted(devs['B']))}")
        if ra and rb and {r["config_hash"] for r in ra} != {r["config_hash"] for r in rb}:
            notes.append("configs differ")
        test = stats.welch(vb, va, "two-sided")
        delta = statistics.mean(vb) - statistics.mean(va) if va and vb else None
        rows.append({
            "Suite": key[0], "Version": key[1], "Tier": key[2], "Arm": key[3], "Data": key[4],
            "n A": len(va), "A": _ms(va), "n B": len(vb), "B": _ms(vb),
            "B − A": "-" if delta is None else f"{delta:+.2f}",
            "p (Welch)": "-" if test is None else f"{test.pvalue:.3g}",
            "Note": "; ".join(notes) or ("only in A" if not rb else "only in B" if not ra else ""),
        })
    return rows


def _ms(v: list[float]) -> str:
    if not v:
        return "-"
    return f"{statistics.mean(v):.2f}" + (f" ± {statistics.stdev(v):.2f}" if len(v) > 1 else "")


def main(args: argparse.Namespace) -> int:
    rows = compare_rows(collect_records([args.a]), collect_records([args.b]), args.metric)
    tf = {"md": "pipe", "github": "github", "csv": "tsv"}[args.format]
    print(tabulate([[r[c] for c in COLUMNS] for r in rows], COLUMNS, tablefmt=tf, disable_numparse=True)
          if rows else "no complete records")
    return 0
