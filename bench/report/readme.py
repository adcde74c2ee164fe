"""The README's "Results on real data (CPU)" section, rendered from a results folder, never by hand.

``nox -s readme_results -- RESULTS`` (after ``nox -s cpu_tiers``) replaces the text between the two
markers below with the claims table of every suite's ``cpu`` tier as the records in RESULTS judge
it, headed by when, at which commit(s) and on which machine the runs were made. The section says
what the records say: a tier without records shows its checks as "not run".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ..baselines import Baselines
from ..errors import BenchError
from ..records import RecordStore, atomic_write_bytes
from ..suite import load_suites
from .leaderboard import build_tables, summarize_claims
from .tiers import TierReport, tier_reports

START = "<!-- cpu-results:start (nox -s readme_results writes this section; do not edit by hand) -->"
END = "<!-- cpu-results:end -->"
TIER = "cpu"


def provenance_line(reports: list[TierReport]) -> str:
    """Dates, commits and machines of the records the section is built from."""
    records = [r for rep in reports for r in rep.view.records]
    if not records:
        return "No `cpu` tier records: run `nox -s cpu_tiers` first."
    days = sorted({(r.created or "undated")[:10] for r in records})
    commits = sorted({str((r.provenance.get("git") or {}).get("commit") or "unknown")[:7] for r in records})
    dirty = any((r.provenance.get("git") or {}).get("dirty") for r in records)
    machines = sorted({_machine(r.provenance) for r in records})
    span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
    return (
        f"{len(records)} runs, {span}, commit {', '.join(commits)}{' (with local changes)' if dirty else ''}, "
        f"{'; '.join(machines)}, torch {records[0].provenance.get('packages', {}).get('torch', '?')}."
    )


def _machine(prov: dict[str, Any]) -> str:
    cores = prov.get("cpu_count")
    return f"{prov.get('device_name', 'unknown device')}{f', {cores} cores' if cores else ''}"


def results_section(reports: list[TierReport]) -> str:
    """Markdown: the provenance line, the claims table and one line per check of the cpu tiers."""
    _, check_rows = build_tables(reports)
    claims = summarize_claims(check_rows)
    claim_table = tabulate(
        [
            [
                c.claim if c.claim != "pipeline" else "none (regression)",
                c.suite,
                f"v{c.version}",
                c.counts["pass"],
                c.counts["fail"],
                c.counts["inconclusive"],
                c.counts["not run"],
                c.verdict,
            ]
            for c in claims
        ],
        headers=["Claim", "Suite", "Version", "pass", "fail", "inconclusive", "not run", "Verdict"],
        tablefmt="github",
    )
    checks = tabulate(
        [[r.suite, r.claim or "-", r.name, r.verdict.shown()] for r in check_rows],
        headers=["Suite", "Claim", "Check", "Verdict"],
        tablefmt="github",
    )
    return "\n".join(
        [
            START,
            provenance_line(reports),
            "",
            claim_table,
            "",
            "<details><summary>Every check</summary>",
            "",
            checks,
            "",
            "</details>",
            END,
        ]
    )


def replace_section(text: str, section: str, where: str = "README.md") -> str:
    """``text`` with the marked section replaced; a README without both markers is refused."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise BenchError(f"{where}: needs exactly one {START!r} line followed by one {END!r} line")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + section + tail


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.report.readme", description=__doc__.splitlines()[0])
    p.add_argument("results", type=Path, help="results folder with the cpu tiers' records (OUT of prs-bench run)")
    p.add_argument("--readme", type=Path, default=Path("README.md"), help="the file to update (default: README.md)")
    p.add_argument("--suites-dir", type=Path, default=None)
    p.add_argument("--baselines", type=Path, default=None)
    args = p.parse_args(argv)
    try:
        if not (args.results / "runs").is_dir():
            raise BenchError(f"{args.results}: no runs/ folder; give the --out folder of `prs-bench run --tier cpu`")
        suites = [s for s in load_suites(None, args.suites_dir) if TIER in s.tiers]
        reports = tier_reports(
            suites, RecordStore(args.results).all(), tiers=[TIER], baselines=Baselines(args.baselines)
        )
        text = replace_section(args.readme.read_text(encoding="utf-8"), results_section(reports), str(args.readme))
        atomic_write_bytes(args.readme, text.encode("utf-8"))
    except (BenchError, OSError) as exc:
        print(f"readme: {exc}", file=sys.stderr)
        return 2
    print(f"updated the cpu results section of {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
