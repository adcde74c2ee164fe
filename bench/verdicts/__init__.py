"""Checks and verdicts; importing registers every check kind."""

from . import health  # noqa: F401  (registration)
from .context import CheckContext
from .evaluate import evaluate, select_records
from .registry import CHECKS, register_check
from .types import STATUSES, Verdict

__all__ = ["CHECKS", "CheckContext", "STATUSES", "Verdict", "evaluate", "register_check", "select_records"]
