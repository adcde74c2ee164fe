"""Two sets of results side by side: per suite, version, tier, arm and data, the delta B - A of a
metric with a two-sided Welch p-value, and the commit each side was run at.

Rows only in one set are kept (the other side is empty). Different devices or configs on the two
sides are flagged in the notes, not hidden. Like the leaderboard, each row has a tidy form (ids and
numbers, for CSV/JSON) and a display form (rounded strings, for md/github).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from ..errors import BenchError
from ..records import RunRecord
from ..records.metrics import DEFAULT_METRIC
from ..verdicts import stats

FORMATS = {"github": "github", "md": "pipe", "csv": None, "json": None}
COLUMNS = [
    "Suite",
    "Version",
    "Tier",
    "Arm",
    "Data",
    "n A",
    "A",
    "n B",
    "B",
    "B − A",
    "p (Welch)",
    "Commit A",
    "Commit B",
    "Note",
]
TIDY_COLUMNS = [
    "suite",
    "version",
    "tier",
    "arm",
    "data",
    "n_a",
    "mean_a",
    "std_a",
    "n_b",
    "mean_b",
    "std_b",
    "delta",
    "p_welch",
    "commits_a",
    "commits_b",
    "notes",
]
Key = tuple[str, int, str, str, str]


@dataclass(frozen=True)
class CompareRow:
    suite: str
    version: int
    tier: str
    arm: str
    data: str
    a: tuple[float, ...]  # metric values on side A (finite ones)
    b: tuple[float, ...]
    commits_a: tuple[str, ...]  # the commits side A's records were made at (provenance.git)
    commits_b: tuple[str, ...]
    p: float | None  # two-sided Welch p-value, None with fewer than 2 values a side
    notes: tuple[str, ...]

    @property
    def delta(self) -> float | None:
        return statistics.mean(self.b) - statistics.mean(self.a) if self.a and self.b else None

    def tidy(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "version": self.version,
            "tier": self.tier,
            "arm": self.arm,
            "data": self.data,
            "n_a": len(self.a),
            "mean_a": _mean(self.a),
            "std_a": _std(self.a),
            "n_b": len(self.b),
            "mean_b": _mean(self.b),
            "std_b": _std(self.b),
            "delta": self.delta,
            "p_welch": self.p,
            "commits_a": list(self.commits_a),
            "commits_b": list(self.commits_b),
            "notes": list(self.notes),
        }

    def display(self) -> dict[str, str]:
        d = self.delta
        return {
            "Suite": self.suite,
            "Version": str(self.version),
            "Tier": self.tier,
            "Arm": self.arm,
            "Data": self.data,
            "n A": str(len(self.a)),
            "A": _mean_std(self.a),
            "n B": str(len(self.b)),
            "B": _mean_std(self.b),
            "B − A": "-" if d is None else f"{d:+.2f}",
            "p (Welch)": "-" if self.p is None else f"{self.p:.3g}",
            "Commit A": ",".join(self.commits_a) or "-",
            "Commit B": ",".join(self.commits_b) or "-",
            "Note": "; ".join(self.notes),
        }


def compare_rows(a: list[RunRecord], b: list[RunRecord], metric: str = DEFAULT_METRIC) -> list[CompareRow]:
    """One row per (suite, version, tier, arm, data) found in either set; BenchError for an unknown metric."""
    if not any(_finite(r.value(metric)) for r in _complete(a) + _complete(b)):
        have = sorted({k for r in _complete(a) + _complete(b) for k, v in r.metrics.items() if _finite(v)})
        raise BenchError(
            f"--metric {metric!r}: no complete record in A or B has it"
            + (f"; metrics they have: {', '.join(have)}" if have else "")
            + " (a dotted path such as fourier.hf_change_mixer_mean reaches into the analysis)"
        )
    ga, gb = _groups(a), _groups(b)
    rows = []
    for key in sorted(set(ga) | set(gb), key=str):
        ra, rb = ga.get(key, []), gb.get(key, [])
        va, vb = _values(ra, metric), _values(rb, metric)
        notes = []
        devs = [{r.device_label for r in rs} for rs in (ra, rb)]
        if ra and rb and devs[0] != devs[1]:
            notes.append(f"devices differ: {', '.join(sorted(devs[0]))} vs {', '.join(sorted(devs[1]))}")
        if ra and rb and {r.config_hash for r in ra} != {r.config_hash for r in rb}:
            notes.append("configs differ")
        if not rb:
            notes.append("only in A")
        elif not ra:
            notes.append("only in B")
        test = stats.welch(list(vb), list(va), "two-sided")
        rows.append(
            CompareRow(
                *key,
                a=va,
                b=vb,
                commits_a=_commits(ra),
                commits_b=_commits(rb),
                p=None if test is None else float(test.pvalue),
                notes=tuple(notes),
            )
        )
    return rows


def drops(rows: list[CompareRow], threshold: float) -> list[CompareRow]:
    """Rows where B's mean is more than ``threshold`` below A's (both sides present)."""
    return [r for r in rows if r.delta is not None and r.delta < -threshold]


def render(rows: list[CompareRow], fmt: str = "github") -> str:
    if fmt == "json":
        return json.dumps([_json_safe(r.tidy()) for r in rows], indent=2, allow_nan=False)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, TIDY_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(v) for k, v in r.tidy().items()})
        return buf.getvalue().rstrip("\n")
    if not rows:
        return "no complete records"
    return tabulate(
        [[r.display()[c] for c in COLUMNS] for r in rows], COLUMNS, tablefmt=FORMATS[fmt], disable_numparse=True
    )


def _complete(records: list[RunRecord]) -> list[RunRecord]:
    return [r for r in records if r.complete]


def _groups(records: list[RunRecord]) -> dict[Key, list[RunRecord]]:
    out: dict[Key, list[RunRecord]] = {}
    for r in _complete(records):
        out.setdefault((r.suite, r.version, r.tier, r.arm, r.data_label), []).append(r)
    return out


def _values(records: list[RunRecord], metric: str) -> tuple[float, ...]:
    return tuple(float(v) for v in (r.value(metric) for r in records) if _finite(v))


def _commits(records: list[RunRecord]) -> tuple[str, ...]:
    """Short commit ids from the records' provenance ("+dirty" for uncommitted changes, "unknown" without git)."""
    out = set()
    for r in records:
        git = r.provenance.get("git") or {}
        sha = git.get("commit")
        out.add(f"{sha[:12]}{'+dirty' if git.get('dirty') else ''}" if sha else "unknown")
    return tuple(sorted(out))


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _mean(v: Sequence[float]) -> float | None:
    return statistics.mean(v) if v else None


def _std(v: Sequence[float]) -> float | None:
    return statistics.stdev(v) if len(v) > 1 else None


def _mean_std(v: Sequence[float]) -> str:
    if not v:
        return "-"
    return f"{statistics.mean(v):.2f}" + (f" ± {statistics.stdev(v):.2f}" if len(v) > 1 else "")


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return ";".join(str(x) for x in v)
    return v


def _json_safe(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in obj.items()}
