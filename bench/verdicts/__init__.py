"""Checks and verdicts; importing registers every check kind."""

from . import band, crossover, health, monotone, order, regression  # noqa: F401  (registration)
from .evaluate import evaluate, validate_checks
from .registry import CHECKS, register_check
from .types import STATUSES, Verdict

__all__ = [
    "CHECKS",
    "STATUSES",
    "Verdict",
    "evaluate",
    "register_check",
    "validate_checks",
]
