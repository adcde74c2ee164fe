"""The suite tiers a report shows: one ``TierView`` per suite and tier, judged once.

Tables (``leaderboard.build_tables``), plots (``plots.write_plots``) and the HTML page all read
the same ``TierReport``: which records count for a tier is decided once, by
``bench.records.view.build_tier_view``, and the tier's checks run once, by ``evaluate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..baselines import Baselines
from ..records import RunRecord
from ..records.view import TierView, build_tier_view
from ..suite import Suite
from ..verdicts import Verdict, evaluate


@dataclass(frozen=True)
class TierReport:
    """One suite tier as a report shows it: its view (plan, current records, stale count) and verdicts."""

    view: TierView
    verdicts: tuple[Verdict, ...]

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.view.suite.name, self.view.suite.version, self.view.tier)


def tier_views(suites: list[Suite], records: list[RunRecord], tiers: list[str] | None = None) -> list[TierView]:
    """One view per suite and tier that has records (current or stale); with ``tiers``, every
    named tier the suite has, records or not (its checks then come back "not run")."""
    views = []
    for suite in suites:
        for tier in suite.tiers:
            if tiers and tier not in tiers:
                continue
            view = build_tier_view(suite, tier, records)
            if view.records or view.stale or tiers:
                views.append(view)
    return views


def tier_reports(
    suites: list[Suite], records: list[RunRecord], tiers: list[str] | None = None, baselines: Any = None
) -> list[TierReport]:
    """``tier_views`` judged: each view's checks evaluated once against ``baselines`` (default: the
    baselines folder, ``$PRS_BENCH_BASELINES``, ./baselines or the one shipped with the package)."""
    baselines = baselines if baselines is not None else Baselines()
    return [TierReport(view, tuple(evaluate(view, baselines))) for view in tier_views(suites, records, tiers)]
