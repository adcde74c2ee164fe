"""Check kinds a suite can declare, by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from .context import CheckContext
from .types import Verdict

CheckFn = Callable[[dict[str, Any], CheckContext], list[Verdict]]
CHECKS: Registry[CheckFn] = Registry("check")
register_check = CHECKS.register
