"""Leaderboard tables and plots."""

from .leaderboard import FORMATS, build_tables, render

__all__ = ["FORMATS", "build_tables", "render"]
