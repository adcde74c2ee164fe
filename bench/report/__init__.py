"""Leaderboard tables and plots."""

from .leaderboard import (
    FORMATS,
    TABLES,
    ArmRow,
    CheckRow,
    ClaimRow,
    build_tables,
    render,
    summarize_claims,
    tidy_tables,
    undecided,
    write_tables,
)

__all__ = [
    "FORMATS",
    "TABLES",
    "ArmRow",
    "CheckRow",
    "ClaimRow",
    "build_tables",
    "render",
    "summarize_claims",
    "tidy_tables",
    "undecided",
    "write_tables",
]
