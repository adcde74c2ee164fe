"""One self-contained HTML page of a results folder: the page CI uploads and a person opens.

Built from the same pieces as the leaderboard, never from a selection of its own: one
``TierReport`` per suite tier (``tiers.tier_reports``: its view and verdicts), rendered as the
tables of ``build_tables`` (claims summary, arms, checks with their numbers), the plots of
``write_plots`` (embedded as base64 PNG) and, for provenance, the records of the view. No
scripts, no external files: the page renders offline and from a CI artefact.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata as md
import json
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..records import RunRecord
from ..records.atomic import atomic_write_bytes
from ..suite import Suite
from ..verdicts import Verdict
from .leaderboard import ARM_COLUMNS, CLAIM_COLUMNS, SUMMARY_COLUMNS, build_tables, notices, summarize_claims
from .plots import stem, write_plots
from .tiers import TierReport, tier_reports

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;
color:#1b1f23}
h1{margin:24px 0 4px}h2{margin-top:36px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{margin:20px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}th,td{border:1px solid #d0d7de;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.v{font-weight:600;white-space:nowrap}.v-pass{color:#1a7f37}.v-fail{color:#cf222e}.v-inconclusive{color:#9a6700}
.v-not-run{color:#57606a}.muted{color:#57606a}code{font-size:12px}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}
figure{margin:0}figure img{width:100%;height:auto;border:1px solid #d0d7de}figcaption{font-size:12px;color:#57606a}
nav a{margin-right:12px}ul.changelog{margin:4px 0}
p.notice{font-weight:600;color:#9a6700;border-left:4px solid #d4a72c;padding:4px 8px;background:#fff8c5}
"""


NUMERIC = {"Version", "n", "Checks", "pass", "fail", "inconclusive", "not run", "Top-1 (%)", "Params (M)", "GFLOPs"}


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(
    columns: list[str],
    rows: Iterable[dict[str, str]],
    statuses: Iterable[str] | None = None,
    extra: dict[str, list[str]] | None = None,
) -> str:
    """Display rows (``ArmRow.display()`` etc.) as a table; the Verdict cell is coloured by ``statuses``
    (one per row), and ``extra`` adds ready-made HTML cells per column."""
    rows = list(rows)
    stats = list(statuses) if statuses is not None else [None] * len(rows)
    extra = extra or {}
    head = "".join(f"<th>{_escape(c)}</th>" for c in columns)
    body = []
    for i, (r, status) in enumerate(zip(rows, stats)):
        cells = []
        for c in columns:
            if c in extra:
                cells.append(f"<td>{extra[c][i]}</td>")
            elif c == "Verdict" and status is not None:
                cells.append(f'<td><span class="v v-{_escape(status.replace(" ", "-"))}">{_escape(r[c])}</span></td>')
            elif c in NUMERIC:
                cells.append(f'<td class="num">{_escape(r[c])}</td>')
            else:
                cells.append(f"<td>{_escape(r[c])}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _number(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_number(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_number(x)}" for k, x in v.items()) + "}"
    return str(v)


def _numbers(v: Verdict) -> str:
    if not v.numbers:
        return '<span class="muted">-</span>'
    return "<br>".join(f"<code>{_escape(k)}</code> = {_escape(_number(x))}" for k, x in v.numbers.items())


def _notices(lines: list[str]) -> list[str]:
    """The first line of a section that shows a pipeline-check tier (``Suite.tier_notice``)."""
    return [f'<p class="notice">{_escape(line)}</p>' for line in lines]


def _slug(*parts: Any) -> str:
    return "-".join("".join(ch if ch.isalnum() else "-" for ch in str(p)) for p in parts)


def _plots(report: TierReport) -> list[tuple[str, str]]:
    """(caption, data URI) of every registered plot of this suite tier, drawn by ``write_plots``."""
    with tempfile.TemporaryDirectory(prefix="prs-bench-report-") as tmp:
        paths = write_plots([report], Path(tmp))
        out = []
        for p in paths:
            uri = "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode("ascii")
            out.append((p.stem.removeprefix(stem(report.view, "")), uri))
    return out


def _provenance(records: list[RunRecord]) -> str:
    """Distinct values (with run counts) of what the records say about where they were made."""
    fields: dict[str, Counter[str]] = {}

    def add(name: str, value: Any) -> None:
        if value is not None and value != {}:
            fields.setdefault(name, Counter())[
                value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            ] += 1

    for r in records:
        prov = r.provenance
        git = prov.get("git") or {}
        commit = git.get("commit")
        add(
            "git commit",
            None if commit is None else commit[:12] + (" (uncommitted changes)" if git.get("dirty") else ""),
        )
        add("device", prov.get("device_name"))
        for pkg, ver in sorted((prov.get("packages") or {}).items()):
            add(pkg, ver)
        add("python", prov.get("python"))
        add("platform", prov.get("platform"))
        add("runtime", r.runtime)
    created = sorted(r.created for r in records if r.created)
    rows = [
        {"What": k, "Values (runs)": "; ".join(f"{v} ({n})" for v, n in c.most_common())} for k, c in fields.items()
    ]
    if created:
        rows.append({"What": "records created", "Values (runs)": f"{created[0]} .. {created[-1]}"})
    return _table(["What", "Values (runs)"], rows) if rows else '<p class="muted">no provenance in the records</p>'


def build_html(
    suites: list[Suite],
    records: list[RunRecord],
    tiers: list[str] | None = None,
    baselines: Any = None,
    source: str = "",
) -> str:
    """The whole page as a string: ``suites`` for their versions, ``records`` (all of a results
    folder) for the tiers each suite has records of, or the named ``tiers``."""
    reports = {r.key: r for r in tier_reports(suites, records, tiers, baselines)}
    arm_rows, check_rows = build_tables(list(reports.values()))
    summary = summarize_claims(check_rows)
    shown = sorted(
        {(r.suite, r.version, r.tier) for r in arm_rows} | {(r.suite, r.version, r.tier) for r in check_rows}
    )
    try:
        version = md.version("prs-bench")
    except md.PackageNotFoundError:
        version = "unknown"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        "<title>prs-bench report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>prs-bench report</h1>",
        f'<p class="muted">{_escape(source)} &middot; {len(records)} record(s) &middot; prs-bench {_escape(version)} '
        f"&middot; generated {_escape(now)}. Verdicts: pass, fail, inconclusive (too few seeds, missing runs, mixed "
        'devices: the detail says which), not run; "(informative)" checks do not decide their claim.</p>',
        "<nav>"
        + '<a href="#claims">Claims</a>'
        + "".join(f'<a href="#{_slug(s, v, t)}">{_escape(s)} v{_escape(v)} {_escape(t)}</a>' for s, v, t in shown)
        + '<a href="#versions">Suite versions</a></nav>',
        '<h2 id="claims">Claims</h2>',
        *_notices(notices(summary)),
        _table(SUMMARY_COLUMNS, [r.display() for r in summary], [r.verdict for r in summary])
        if summary
        else '<p class="muted">no checks: no results yet</p>',
    ]
    for name, ver, tier in shown:
        report = reports[(name, ver, tier)]
        suite = report.view.suite
        parts += [
            f'<h2 id="{_slug(name, ver, tier)}">{_escape(name)} v{_escape(ver)} &middot; tier {_escape(tier)}</h2>',
            *_notices([n for n in [suite.tier_notice(tier)] if n]),
            f"<p>{_escape(suite.title)}</p>",
        ]
        arms = [r for r in arm_rows if (r.suite, r.version, r.tier) == (name, ver, tier)]
        checks = [r for r in check_rows if (r.suite, r.version, r.tier) == (name, ver, tier)]
        arm_cols = [c for c in ARM_COLUMNS if c not in ("Suite", "Version", "Tier")]
        parts += [
            "<h3>Arms</h3>",
            _table(arm_cols, [r.display() for r in arms], [r.verdict for r in arms])
            if arms
            else '<p class="muted">no complete records of this tier</p>',
        ]
        check_cols = [c for c in CLAIM_COLUMNS if c not in ("Suite", "Version", "Tier")] + ["Numbers"]
        parts += [
            "<h3>Checks</h3>",
            _table(
                check_cols,
                [r.display() for r in checks],
                [r.verdict.gate_status if r.verdict.expect else r.status for r in checks],
                extra={"Numbers": [_numbers(r.verdict) for r in checks]},
            )
            if checks
            else '<p class="muted">this tier declares no checks</p>',
        ]
        plots = _plots(report)
        parts.append("<h3>Plots</h3>")
        figures = "".join(
            f'<figure><img class="plot" alt="{_escape(c)}" src="{uri}"><figcaption>{_escape(c)}</figcaption></figure>'
            for c, uri in plots
        )
        parts.append(f'<div class="plots">{figures}</div>' if plots else '<p class="muted">no plots for this tier</p>')
        parts += ["<h3>Provenance</h3>", _provenance(report.view.records)]
    parts.append('<h2 id="versions">Suite versions</h2>')
    for s in suites:
        log = "".join(f"<li>{_escape(line)}</li>" for line in s.changelog)
        parts.append(
            f'<h3>{_escape(s.name)} v{_escape(s.version)}</h3><p>{_escape(s.title)} <span class="muted">'
            f"({_escape(s.path.name)}; tiers: {_escape(', '.join(s.tiers))})</span></p>"
            f'<ul class="changelog">{log}</ul>'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_html(path: Path, page: str) -> Path:
    atomic_write_bytes(Path(path), page.encode("utf-8"))
    return Path(path)
