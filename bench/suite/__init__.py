"""Suite files: load and validate, resolve configs, plan runs."""

from .load import TIER_ORDER, Suite, discover, load_suite, load_suites
from .plan import RunSpec, parse_seeds, plan_runs

__all__ = ["TIER_ORDER", "RunSpec", "Suite", "discover", "load_suite", "load_suites", "parse_seeds", "plan_runs"]
