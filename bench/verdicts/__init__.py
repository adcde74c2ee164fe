"""Checks and verdicts; importing registers every check kind."""

from . import band, crossover, health, monotone, order, regression  # noqa: F401  (registration)
from .context import CheckContext
from .evaluate import evaluate, select_records, validate_checks
from .registry import CHECKS, register_check
from .types import STATUSES, Verdict

__all__ = [
    "CHECKS",
    "STATUSES",
    "CheckContext",
    "Verdict",
    "evaluate",
    "register_check",
    "select_records",
    "validate_checks",
]
