"""The leaderboard: per suite and tier, one row per arm and data fraction, the claims summary,
and every check's verdict with its detail. Built from the tiers' views and verdicts
(``tiers.tier_reports``: stored records and baselines alone).

Rows are typed (``ArmRow``, ``CheckRow``, ``ClaimRow``). Each has a tidy form (``tidy()``: ids and
numbers, for CSV and JSON that other tools read) and a display form (``display()``: rounded
strings, for md/github tables only).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ..records import RunRecord
from ..records.atomic import atomic_write_bytes
from ..records.metrics import TEST_ACC
from ..verdicts import Verdict
from .tiers import TierReport

# text: the compact, width-aware view for terminals (``terminal.render_text``); the others keep every column
FORMATS = {"text": None, "md": "pipe", "github": "github", "csv": None, "json": None}
TABLES = ("arms", "claims", "checks")
SEVERITY = ("fail", "inconclusive", "not run", "pass")
STATS_KEYS = ("params_start", "params_end", "gflops_start", "gflops_end")
RUNTIME_KEYS = ("device_type", "precision", "compile", "world_size")


def worst(statuses: Sequence[str]) -> str:
    for s in SEVERITY:
        if s in statuses:
            return s
    return "-"


@dataclass(frozen=True)
class Reference:
    """What a band check compared an arm with (from the verdict's numbers)."""

    label: str  # for people, e.g. "75.61 [weiaicunzai-resnet18-cifar100]"
    source: str
    id: str | None = None  # the reported baseline's id (baselines/reported.toml)
    arm: str | None = None  # or the arm of this run it was compared with
    value: float | None = None
    band: str | None = None  # the band as the check describes it, e.g. "[69.00, 71.00]" or "Welch α=0.05, floor 0.5"
    lo: float | None = None
    hi: float | None = None
    statistic: str | None = None  # what the source reports: final-epoch, best-epoch or unstated
    metric: str | None = None  # the record metric the band compared (test_acc or test_acc_best)

    @classmethod
    def from_verdict(cls, v: Verdict) -> Reference:
        n = v.numbers
        return cls(
            label=str(n["reference_label"]),
            source=str(n.get("source", "")),
            id=n.get("reference_id"),
            arm=n.get("reference_arm"),
            value=_num(n.get("reference")),
            band=None if n.get("band") is None else str(n["band"]),
            lo=_num(n.get("lo")),
            hi=_num(n.get("hi")),
            statistic=n.get("statistic"),
            metric=n.get("metric"),
        )


@dataclass(frozen=True)
class ArmRow:
    suite: str
    version: int
    tier: str
    arm: str
    arm_label: str
    model: str
    data: str
    values: tuple[float, ...]  # top-1 (%) per seed, in seed order
    seeds: tuple[int, ...]
    verdict: str  # the worst verdict touching this arm, "-" when none does
    device: str  # device and runtime (RunRecord.device_label): runs made differently are separate rows
    device_name: str
    runtime: dict[str, Any] = field(default_factory=dict)  # the records' runtime (device_type, precision, ...)
    references: tuple[Reference, ...] = ()
    model_stats: dict[str, float | None] = field(default_factory=dict)  # STATS_KEYS, mean over the runs
    epoch_rule: Any = None  # the tier's epoch rule when the suite declares one
    tier_kind: str = "measurement"  # Suite.tier_kind: "pipeline-check" rows are no result
    notice: str | None = None  # Suite.tier_notice: the line a pipeline-check tier's outputs start with

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.mean(self.values) if self.values else None

    @property
    def std(self) -> float | None:
        return statistics.stdev(self.values) if len(self.values) > 1 else None

    def tidy(self) -> dict[str, Any]:
        ref = self.references[0] if self.references else None
        return {
            "suite": self.suite,
            "version": self.version,
            "tier": self.tier,
            "arm": self.arm,
            "arm_label": self.arm_label,
            "model": self.model,
            "data": self.data,
            "n": self.n,
            "top1_mean": self.mean,
            "top1_std": self.std,
            "top1_values": list(self.values),
            "seeds": list(self.seeds),
            **{k: self.model_stats.get(k) for k in STATS_KEYS},
            "reference_id": ref.id if ref else None,
            "reference_arm": ref.arm if ref else None,
            "reference_source": ref.source if ref else None,
            "reference": ref.value if ref else None,
            "band_lo": ref.lo if ref else None,
            "band_hi": ref.hi if ref else None,
            "verdict": self.verdict,
            "device": self.device_name,
            **{k: self.runtime.get(k) for k in RUNTIME_KEYS},
            "epoch_rule": self.epoch_rule,
            "tier_kind": self.tier_kind,
        }

    def display(self) -> dict[str, str]:
        return {
            "Suite": self.suite,
            "Version": str(self.version),
            "Tier": self.tier,
            "Arm": self.arm_label,
            "Model": self.model,
            "Data": self.data,
            "n": str(self.n),
            "Top-1 (%)": _mean_std(self.values),
            "Params (M)": _span(self.model_stats, "params", 1e-6, "{:.2f}"),
            "GFLOPs": _span(self.model_stats, "gflops", 1.0, "{:.3g}"),
            "Reference": "; ".join(
                f"{r.label} ({r.source or '-'}" + (f"; {r.statistic}, vs {r.metric}" if r.statistic else "") + ")"
                for r in self.references
            )
            or "-",
            "Band": "; ".join(r.band or "-" for r in self.references) or "-",
            "Verdict": self.verdict,
            "Device": self.device,
            "Epoch rule": _text(self.epoch_rule),
        }


@dataclass(frozen=True)
class CheckRow:
    suite: str
    version: int
    tier: str
    verdict: Verdict
    tier_kind: str = "measurement"
    notice: str | None = None

    @property
    def claim(self) -> str:
        return self.verdict.claim

    @property
    def status(self) -> str:
        return self.verdict.status

    @property
    def decides(self) -> bool:
        return self.verdict.decides

    @property
    def name(self) -> str:
        return self.verdict.name

    def tidy(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "suite": self.suite,
            "version": self.version,
            "tier": self.tier,
            "claim": v.claim or None,
            "check": v.name,
            "kind": v.check,
            "status": v.status,
            "decides": v.decides,
            "data": v.data or None,
            "arms": list(v.arms),
            "detail": v.detail,
            "tier_kind": self.tier_kind,
            "expect": v.expect or None,
            "as_expected": v.as_expected,
        }

    def display(self) -> dict[str, str]:
        v = self.verdict
        return {
            "Suite": self.suite,
            "Version": str(self.version),
            "Tier": self.tier,
            "Claim": _claim(v.claim or "-", self.tier_kind),
            "Check": v.name,
            "Verdict": v.shown(),
            "Detail": v.detail,
        }


@dataclass(frozen=True)
class ClaimRow:
    claim: str  # C1..C6, or "pipeline" for checks without a claim
    suite: str
    version: int
    tier: str
    counts: dict[str, int]  # status -> number of checks
    verdict: str  # the worst status among the checks that decide (all checks if none does)
    tier_kind: str = "measurement"
    notice: str | None = None

    def tidy(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "suite": self.suite,
            "version": self.version,
            "tier": self.tier,
            "checks": sum(self.counts.values()),
            "pass": self.counts["pass"],
            "fail": self.counts["fail"],
            "inconclusive": self.counts["inconclusive"],
            "not_run": self.counts["not run"],
            "verdict": self.verdict,
            "tier_kind": self.tier_kind,
        }

    def display(self) -> dict[str, str]:
        t = self.tidy()
        return {
            "Claim": _claim(self.claim, self.tier_kind),
            "Suite": self.suite,
            "Version": str(self.version),
            "Tier": self.tier,
            "Checks": str(t["checks"]),
            "pass": str(t["pass"]),
            "fail": str(t["fail"]),
            "inconclusive": str(t["inconclusive"]),
            "not run": str(t["not_run"]),
            "Verdict": self.verdict,
        }


ARM_COLUMNS = [
    "Suite",
    "Version",
    "Tier",
    "Arm",
    "Model",
    "Data",
    "n",
    "Top-1 (%)",
    "Params (M)",
    "GFLOPs",
    "Reference",
    "Band",
    "Verdict",
    "Device",
]
SUMMARY_COLUMNS = ["Claim", "Suite", "Version", "Tier", "Checks", "pass", "fail", "inconclusive", "not run", "Verdict"]
CLAIM_COLUMNS = ["Suite", "Version", "Tier", "Claim", "Check", "Verdict", "Detail"]
# tidy columns per table (CSV headers; JSON objects carry the same keys)
TIDY_COLUMNS = {
    "arms": [
        "suite",
        "version",
        "tier",
        "arm",
        "arm_label",
        "model",
        "data",
        "n",
        "top1_mean",
        "top1_std",
        "top1_values",
        "seeds",
        *STATS_KEYS,
        "reference_id",
        "reference_arm",
        "reference_source",
        "reference",
        "band_lo",
        "band_hi",
        "verdict",
        "device",
        *RUNTIME_KEYS,
        "epoch_rule",
        "tier_kind",
    ],
    "claims": [
        "claim",
        "suite",
        "version",
        "tier",
        "checks",
        "pass",
        "fail",
        "inconclusive",
        "not_run",
        "verdict",
        "tier_kind",
    ],
    "checks": [
        "suite",
        "version",
        "tier",
        "claim",
        "check",
        "kind",
        "status",
        "decides",
        "data",
        "arms",
        "detail",
        "tier_kind",
        "expect",
        "as_expected",
    ],
}


def build_tables(reports: list[TierReport]) -> tuple[list[ArmRow], list[CheckRow]]:
    """Rows for the arm table and the per-check table of these suite tiers (``tiers.tier_reports``).

    A tier with stale records (an older config of the same version) gets a "stale records" note
    among its checks; the stale records themselves are never shown.
    """
    arm_rows: list[ArmRow] = []
    check_rows: list[CheckRow] = []
    for report in reports:
        view = report.view
        suite, tier = view.suite, view.tier
        kind, notice = suite.tier_kind(tier), suite.tier_notice(tier)
        arm_rows += _arm_rows(report)
        check_rows += [CheckRow(suite.name, suite.version, tier, v, kind, notice) for v in report.verdicts]
        if view.stale:
            note = Verdict(
                "stale",
                "stale records",
                "not run",
                f"{view.stale} record(s) from an older config of this version ignored",
                decides=False,
            )
            check_rows.append(CheckRow(suite.name, suite.version, tier, note, kind, notice))
    return arm_rows, check_rows


def _arm_rows(report: TierReport) -> list[ArmRow]:
    """One row per arm, data label and device (runs made differently are never averaged), in suite order."""
    view = report.view
    suite, tier = view.suite, view.tier
    groups: dict[tuple[str, str, str], list[RunRecord]] = {}
    for r in view.records:
        groups.setdefault((r.arm, r.data_label, r.device_label), []).append(r)
    rows = []
    order = {a: i for i, a in enumerate(suite.arms)}
    epoch_rule = suite.tiers[tier].get("epoch_rule")
    for (arm, label, device), recs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1:])):
        recs = sorted(recs, key=lambda r: r.seed)
        mine = [v for v in report.verdicts if arm in v.arms and v.data in ("", label)]
        refs = [v for v in mine if v.arms and v.arms[0] == arm and "reference_label" in v.numbers]
        rows.append(
            ArmRow(
                suite=suite.name,
                version=suite.version,
                tier=tier,
                arm=arm,
                arm_label=suite.tier_arm_label(arm, tier),
                model=recs[0].config["model"]["name"],
                data=label,
                values=tuple(float(r.metrics[TEST_ACC]) for r in recs),
                seeds=tuple(r.seed for r in recs),
                verdict=worst([v.gate_status for v in mine]) if mine else "-",
                device=device,
                device_name=recs[0].device_name,
                runtime=dict(recs[0].runtime or {}),
                references=tuple(Reference.from_verdict(v) for v in refs),
                model_stats=_model_stats(recs),
                epoch_rule=epoch_rule,
                tier_kind=suite.tier_kind(tier),
                notice=suite.tier_notice(tier),
            )
        )
    return rows


def _model_stats(records: list[RunRecord]) -> dict[str, float | None]:
    """Mean of each model_stats entry over the runs that carry it (None when none does)."""
    out: dict[str, float | None] = {}
    for key in STATS_KEYS:
        vals = [(r.model_stats or {}).get(key) for r in records]
        have: list[float] = [v for v in vals if v is not None and _num(v) is not None]
        out[key] = statistics.mean(have) if have else None  # ints stay ints when the runs agree
    return out


def summarize_claims(check_rows: list[CheckRow]) -> list[ClaimRow]:
    """One row per (claim, suite, version, tier): counts of verdicts and the worst of the deciding ones."""
    groups: dict[tuple[str, str, int, str], list[CheckRow]] = {}
    for r in check_rows:
        claim = r.claim or ("controls" if r.verdict.expect else "pipeline")
        groups.setdefault((claim, r.suite, r.version, r.tier), []).append(r)
    rows = []
    for (claim, suite, version, tier), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] == "pipeline", kv[0])):
        deciding = [r.verdict.gate_status for r in rs if r.decides] or [r.verdict.gate_status for r in rs]
        counts = {s: sum(r.status == s for r in rs) for s in ("pass", "fail", "inconclusive", "not run")}
        verdict = worst(deciding)
        if all(r.verdict.expect for r in rs):  # a group of controls reads as expected or not
            verdict = "as expected" if verdict == "pass" else "NOT as expected"
        rows.append(ClaimRow(claim, suite, version, tier, counts, verdict, rs[0].tier_kind, rs[0].notice))
    return rows


def _claim(claim: str, tier_kind: str) -> str:
    """A claim as a table shows it: a pipeline-check tier's claim rows say they decide nothing."""
    return f"{claim} (pipeline check)" if tier_kind == "pipeline-check" and claim not in ("-", "pipeline") else claim


def notices(*row_lists: Sequence[ArmRow | CheckRow | ClaimRow]) -> list[str]:
    """The distinct notices of the pipeline-check tiers among these rows, in order (one line each)."""
    out: list[str] = []
    for rows in row_lists:
        for r in rows:
            if r.notice and r.notice not in out:
                out.append(r.notice)
    return out


def only_arms(
    arm_rows: list[ArmRow], check_rows: list[CheckRow], arms: Collection[str]
) -> tuple[list[ArmRow], list[CheckRow]]:
    """The rows that speak about these arms alone: their arm rows, and the checks whose every arm is
    among them. A check that also reads another arm is left out rather than judged on part of its
    data, as is a note about no arm; this is how a run of part of a tier (``run --arms``) is gated."""
    keep = set(arms)
    return (
        [r for r in arm_rows if r.arm in keep],
        [r for r in check_rows if r.verdict.arms and set(r.verdict.arms) <= keep],
    )


def undecided(check_rows: list[CheckRow]) -> list[CheckRow]:
    """Checks the tier expects to decide that did not pass: failed, inconclusive or not run, and
    controls that did not come out as expected (the strict gate)."""
    return [r for r in check_rows if (r.decides or r.verdict.expect) and r.verdict.gate_status != "pass"]


def tidy_tables(arm_rows: list[ArmRow], check_rows: list[CheckRow]) -> dict[str, list[dict[str, Any]]]:
    """The three tables as lists of tidy records: ids and plain numbers, no display strings."""
    return {
        "arms": [r.tidy() for r in arm_rows],
        "claims": [r.tidy() for r in summarize_claims(check_rows)],
        "checks": [r.tidy() for r in check_rows],
    }


def render(arm_rows: list[ArmRow], check_rows: list[CheckRow], fmt: str = "github", table: str = "arms") -> str:
    """text: the compact view that fits the terminal; md/github: the three display tables with every
    column; json: the tidy tables; csv: the one tidy ``table``.

    Rows of a pipeline-check tier make the output start with its notice (``Suite.tier_notice``):
    a first line in md/github, a ``# `` comment line before the CSV header, a first ``notice`` key
    in the JSON."""
    if fmt == "text":
        from .terminal import render_text

        return render_text(arm_rows, check_rows)
    lines = notices(arm_rows, check_rows)
    if fmt == "json":
        tables = tidy_tables(arm_rows, check_rows)
        for row, r in zip(tables["checks"], check_rows):
            row.update(compared=r.verdict.compared, numbers=r.verdict.numbers)
        head: dict[str, Any] = {"notice": " ".join(lines)} if lines else {}
        return json.dumps(_json_safe({**head, **tables}), indent=2, allow_nan=False)
    if fmt == "csv":
        return "".join(f"# {line}\n" for line in lines) + to_csv(
            table, tidy_tables(arm_rows, check_rows)[table]
        ).rstrip("\n")
    tablefmt = FORMATS[fmt]
    if not arm_rows and not check_rows:
        return "no results yet: run `prs-bench run` first"
    arm_cols = ARM_COLUMNS + (["Epoch rule"] if any(r.epoch_rule is not None for r in arm_rows) else [])
    summary = summarize_claims(check_rows)
    parts = [
        *[f"**{line}**\n" for line in lines],
        "## Arms",
        _table([r.display() for r in arm_rows], arm_cols, tablefmt),
        "",
        "## Claims",
        _table([r.display() for r in summary], SUMMARY_COLUMNS, tablefmt),
        "",
        "## Checks",
        _table([r.display() for r in check_rows], CLAIM_COLUMNS, tablefmt),
    ]
    return "\n".join(parts)


def to_csv(table: str, rows: list[dict[str, Any]]) -> str:
    """One tidy table as CSV: one header row; lists joined with ';', missing values empty."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, TIDY_COLUMNS[table], lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(v) for k, v in r.items()})
    return buf.getvalue()


def write_tables(folder: Path, arm_rows: list[ArmRow], check_rows: list[CheckRow]) -> list[Path]:
    """leaderboard.md, leaderboard.json and one leaderboard-TABLE.csv per table in ``folder`` (atomic writes)."""
    folder = Path(folder)
    out = []
    for name, text in [
        ("leaderboard.md", render(arm_rows, check_rows, "md")),
        ("leaderboard.json", render(arm_rows, check_rows, "json")),
        *[(f"leaderboard-{t}.csv", render(arm_rows, check_rows, "csv", table=t)) for t in TABLES],
    ]:
        p = folder / name
        atomic_write_bytes(p, (text.rstrip("\n") + "\n").encode())
        out.append(p)
    return out


def _table(rows: list[dict[str, str]], columns: list[str], tablefmt: str | None) -> str:
    return tabulate([[r[c] for c in columns] for r in rows], columns, tablefmt=tablefmt, disable_numparse=True)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _mean_std(values: Sequence[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def _span(stats: dict[str, float | None], key: str, scale: float, fmt: str) -> str:
    """ "start" or "start → end" (a switch changes the model), "-" when the records carry none."""
    a, b = stats.get(f"{key}_start"), stats.get(f"{key}_end")
    if a is None and b is None:
        return "-"
    ta = "-" if a is None else fmt.format(a * scale)
    tb = "-" if b is None else fmt.format(b * scale)
    return ta if ta == tb else f"{ta} → {tb}"


def _text(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_text(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_text(x) for x in v)
    return str(v)


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ";".join(str(_cell(x)) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    if isinstance(v, float) and not math.isfinite(v):
        return ""
    return v


def _json_safe(obj: Any) -> Any:
    """Non-finite floats become null: JSON has no NaN or infinity, and a string would not be a number."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj
