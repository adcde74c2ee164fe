"""Check kinds a suite can declare, by name.

A check is ``fn(table, view, baselines) -> [Verdict]``: its ``[[tiers.NAME.checks]]`` table
(validated against ``CHECK_KEYS``), the tier's records (``TierView``) and the reference numbers.
Its rule is ``parse(table, view, baselines) -> Rule``: the table read once into the kind's frozen
dataclass (defaults included); the check judges with it and ``bench.verdicts.calibrate`` simulates
it, so the two can never read a table differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..baselines import Baselines
from ..records.view import TierView
from ..registry import Registry
from .types import Verdict

CheckFn = Callable[[dict[str, Any], TierView, Baselines], list[Verdict]]
CHECKS: Registry[CheckFn] = Registry("check")
register_check = CHECKS.register
RuleParser = Callable[[dict[str, Any], TierView, Baselines], Any]
RULES: Registry[RuleParser] = Registry("check rule")
