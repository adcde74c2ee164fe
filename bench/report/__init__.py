"""Leaderboard tables, plots and the HTML page, all drawn from one view per suite tier (``tier_reports``)."""

from .leaderboard import (
    FORMATS,
    TABLES,
    ArmRow,
    CheckRow,
    ClaimRow,
    build_tables,
    notices,
    only_arms,
    render,
    summarize_claims,
    tidy_tables,
    undecided,
    write_tables,
)
from .tiers import TierReport, tier_reports, tier_views

__all__ = [
    "FORMATS",
    "TABLES",
    "ArmRow",
    "CheckRow",
    "ClaimRow",
    "TierReport",
    "build_tables",
    "notices",
    "only_arms",
    "render",
    "summarize_claims",
    "tidy_tables",
    "tier_reports",
    "tier_views",
    "undecided",
    "write_tables",
]
