"""Leaderboard tables and plots."""

from .leaderboard import FORMATS, build_tables, render, summarize_claims, write_tables

__all__ = ["FORMATS", "build_tables", "render", "summarize_claims", "write_tables"]
