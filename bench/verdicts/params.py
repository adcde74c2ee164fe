"""Check-table keys as data (``CHECK_KEYS``) and typed reading of their values.

Every check kind declares the keys its ``[[tiers.NAME.checks]]`` table may hold; ``evaluate``
validates each table against that declaration (bench.schema: an unknown key or a wrong type is
a one-line error naming the suite key) before the check runs. ``CheckParams`` then reads the
values with their ranges and the context a table alone cannot know (arms of the tier, fractions),
once, into the check kind's typed ``Rule`` (a frozen dataclass in the kind's module whose field
defaults are the only copy of its defaults); the check and ``bench.verdicts.calibrate`` both
use that rule. Adding a key to a check is adding an entry here and a field there.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import BenchError
from ..records.metrics import DEFAULT_METRIC
from ..records.view import TierView
from ..schema import Key, is_bool, is_int, is_num, is_str, list_of
from .types import EXPECTS

_STR = (is_str, "a non-empty string")
_ARM = (is_str, "an arm name")
_ARMS = (list_of(is_str, min_len=1), "a list of arm names")
_NUM = (is_num, "a number")
_INT = (is_int, "an integer")
_FLAG = (is_bool, "true or false")


def _opt(kind: tuple[Any, str], what: str = "") -> Key:
    check, base = kind
    return Key(False, check, f"{base} ({what})" if what else base)


COMMON: dict[str, Key] = {
    "kind": Key(True, is_str, "a registered check kind"),
    "claim": _opt(_STR, "the claim id it tests, e.g. 'C1'"),
    "name": _opt(_STR, "a display name"),
    "decides": _opt(_FLAG, "false: the tier does not expect this check to decide"),
    "expect": Key(
        False,
        lambda v: v in EXPECTS,
        "'pass', 'fail' or 'not pass': a control's known outcome (shown as expected / NOT as expected; gates CI)",
    ),
}
COMMON_KEYS = tuple(COMMON)
_METRIC = _opt(
    _STR, f"a metric name (the record's metrics, default {DEFAULT_METRIC}) or a dotted analysis path (fourier.NAME)"
)
DEFAULT_ALPHA = 0.05  # every statistical check's significance level unless its table says otherwise
_ALPHA = _opt(_NUM, f"the significance level, default {DEFAULT_ALPHA:g}")
_FRACTION = _opt(_NUM, "one data fraction of the tier; default every fraction")

# check kind -> the keys its table may hold besides COMMON
CHECK_KEYS: dict[str, dict[str, Key]] = {
    "health": {
        "arms": _opt(_ARMS, "default every arm of the tier"),
        "margin": _opt(_NUM, "points of top-1 above chance (>= 0), default 5"),
    },
    "band": {
        "arms": _opt(_ARMS),
        "arm": _opt(_ARM),
        "metric": _METRIC,
        "alpha": _ALPHA,
        "floor": _opt(_NUM),
        "fraction": _FRACTION,
        "reference": _opt(_STR, "a reported baseline id"),
        "reference_arm": _opt(_ARM),
        "tolerance": _opt(_NUM),
        "equivalence": _opt(_FLAG),
        "margin": _opt(_NUM, "the equivalence margin"),
    },
    "order": {
        "a": _opt(_ARM),
        "b": _opt(_ARM),
        "metric": _METRIC,
        "alpha": _ALPHA,
        "margin": _opt(_NUM),
        "fraction": _FRACTION,
    },
    "monotone": {
        "arms": _opt(_ARMS),
        "metric": _METRIC,
        "direction": _opt(_STR, "increasing or decreasing"),
        "tolerance": _opt(_NUM),
        "alpha": _ALPHA,
        "between": _opt(_FLAG),
        "min_seeds": _opt(_INT),
        "fraction": _FRACTION,
    },
    "crossover": {
        "metric": _METRIC,
        "alpha": _ALPHA,
        "scale": _opt(_STR, "log or linear"),
        "bootstrap": _opt(_INT),
        "seed": _opt(_INT),
        "arms": _opt(_ARMS),
        "reference_arm": _opt(_ARM),
        "a": _opt(_ARM),
        "b": _opt(_ARM),
    },
    "regression": {
        "arms": _opt(_ARMS),
        "arm": _opt(_ARM),
        "metric": _METRIC,
        "alpha": _ALPHA,
        "floor": _opt(_NUM),
        "alternative": _opt(_STR, "worse or two-sided"),
        "higher_is_better": _opt(_FLAG),
        "fraction": _FRACTION,
        "collapse": _opt(_NUM),
        "effect": _opt(_NUM),
        "min_power": _opt(_NUM),
    },
}


def check_schema(kind: str) -> dict[str, Key]:
    """The keys a check table of this kind may hold (COMMON first)."""
    return {**COMMON, **CHECK_KEYS.get(kind, {})}


_MISSING = object()


class CheckParams:
    """Typed access to one check table (already validated against ``CHECK_KEYS``).

    ``done()`` rejects keys of the kind that the form in use does not read (``margin`` in a band
    without ``equivalence = true``, ``bootstrap`` in the order form of crossover, ``arm`` beside
    ``arms``): the key table only knows which keys a kind may hold, not which combinations mean
    something, and such a key would otherwise be silently ignored.
    """

    def __init__(self, check: dict[str, Any], view: TierView) -> None:
        self.check, self.view = check, view
        self.seen: set[str] = set(COMMON_KEYS)
        checks = view.suite.tiers.get(view.tier, {}).get("checks", [])
        idx = next((i for i, c in enumerate(checks) if c is check), None)
        self.where = f"tiers.{view.tier}.checks[{idx if idx is not None else '?'}]"

    def error(self, key: str, problem: str) -> BenchError:
        return BenchError(f"{self.view.suite.path}: key '{self.where}.{key}' ({self.check.get('kind')}): {problem}")

    def _get(self, key: str, default: Any) -> Any:
        self.seen.add(key)
        if key not in self.check:
            if default is _MISSING:
                raise self.error(key, "missing")
            return default
        return self.check[key]

    def has(self, key: str) -> bool:
        return key in self.check

    def num(
        self, key: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None, open_lo: bool = False
    ) -> float:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.error(key, f"must be a number, got {v!r}")
        if lo is not None and (v < lo or (open_lo and v == lo)):
            raise self.error(key, f"must be {'>' if open_lo else '>='} {lo:g}, got {v!r}")
        if hi is not None and v > hi:
            raise self.error(key, f"must be <= {hi:g}, got {v!r}")
        return float(v)

    def alpha(self, default: float = DEFAULT_ALPHA) -> float:
        return self.num("alpha", default, lo=0.0, hi=0.5, open_lo=True)

    def int_(self, key: str, default: Any = _MISSING, lo: int = 0) -> int:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise self.error(key, f"must be an integer >= {lo}, got {v!r}")
        return v

    def text(self, key: str, default: Any = _MISSING) -> str:
        v = self._get(key, default)
        if not isinstance(v, str) or not v:
            raise self.error(key, f"must be a non-empty string, got {v!r}")
        return v

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        v = self._get(key, default)
        if v not in choices:
            raise self.error(key, f"must be one of {', '.join(map(repr, choices))}, got {v!r}")
        return str(v)

    def flag(self, key: str, default: bool = False) -> bool:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise self.error(key, f"must be true or false, got {v!r}")
        return v

    def arm(self, key: str, default: Any = _MISSING) -> str:
        v = self.text(key, default)
        self._tier_arm(key, v)
        return v

    def arms(self, key: str, min_len: int = 1, default: Any = _MISSING) -> list[str]:
        v = self._get(key, default)
        if not isinstance(v, list) or len(v) < min_len or not all(isinstance(a, str) for a in v):
            raise self.error(key, f"must be a list of at least {min_len} arm names, got {v!r}")
        if len(set(v)) != len(v):
            raise self.error(key, f"names an arm twice: {v!r}")
        for a in v:
            self._tier_arm(key, a)
        return list(v)

    def _tier_arm(self, key: str, arm: str) -> None:
        arms = self.view.arms
        if arm not in arms:
            raise self.error(key, f"arm {arm!r} is not run at tier {self.view.tier!r} (arms: {', '.join(arms)})")

    def fraction_labels(self) -> list[str]:
        """Data labels selected by the optional ``fraction`` key (default: every fraction of the tier)."""
        fractions = self.view.fractions()
        if not self.has("fraction"):
            self.seen.add("fraction")
            return list(fractions)
        fr = self.num("fraction", lo=0.0, hi=1.0, open_lo=True)
        labels = [lab for lab, f in fractions.items() if math.isclose(f, fr)]
        if not labels:
            raise self.error(
                "fraction",
                f"{fr:g} is not a fraction of tier {self.view.tier!r} "
                f"({', '.join(f'{f:g}' for f in fractions.values())})",
            )
        return labels

    def done(self) -> None:
        """Refuse a key this form of the check does not read (see the class docstring)."""
        extra = sorted(set(self.check) - self.seen)
        if extra:
            reads = ", ".join(sorted(self.seen - {"name"}))
            raise self.error(extra[0], f"not read by this form of the check (it reads: {reads}); remove it")
