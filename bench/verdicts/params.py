"""Reading a check table's parameters: typed, with defaults, and one-line errors naming the suite key.

Check tables in suite files are free-form (``[[tiers.NAME.checks]]``), so each check validates its
own keys here; an unknown key is an error, not a silent default.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import BenchError
from .context import CheckContext

COMMON_KEYS = ("kind", "claim", "name", "decides")
_MISSING = object()


class CheckParams:
    """Typed access to one check table; ``done()`` rejects keys nobody asked for."""

    def __init__(self, check: dict[str, Any], ctx: CheckContext) -> None:
        self.check, self.ctx = check, ctx
        self.seen: set[str] = set(COMMON_KEYS)
        checks = ctx.suite.tiers.get(ctx.tier, {}).get("checks", [])
        idx = next((i for i, c in enumerate(checks) if c is check), None)
        self.where = f"tiers.{ctx.tier}.checks[{idx if idx is not None else '?'}]"

    def error(self, key: str, problem: str) -> BenchError:
        return BenchError(f"{self.ctx.suite.path}: key '{self.where}.{key}' ({self.check.get('kind')}): {problem}")

    def _get(self, key: str, default: Any) -> Any:
        self.seen.add(key)
        if key not in self.check:
            if default is _MISSING:
                raise self.error(key, "missing")
            return default
        return self.check[key]

    def has(self, key: str) -> bool:
        return key in self.check

    def num(self, key: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None,
            open_lo: bool = False) -> float:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.error(key, f"must be a number, got {v!r}")
        if lo is not None and (v < lo or (open_lo and v == lo)):
            raise self.error(key, f"must be {'>' if open_lo else '>='} {lo:g}, got {v!r}")
        if hi is not None and v > hi:
            raise self.error(key, f"must be <= {hi:g}, got {v!r}")
        return float(v)

    def alpha(self, default: float = 0.05) -> float:
        a = self.num("alpha", default, lo=0.0, hi=0.5, open_lo=True)
        return a

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
        arms = self.ctx.suite.tier_arms(self.ctx.tier)
        if arm not in arms:
            raise self.error(key, f"arm {arm!r} is not run at tier {self.ctx.tier!r} (arms: {', '.join(arms)})")

    def fraction_labels(self) -> list[str]:
        """Data labels selected by the optional ``fraction`` key (default: every fraction of the tier)."""
        fractions = self.ctx.fractions()
        if not self.has("fraction"):
            self.seen.add("fraction")
            return list(fractions)
        fr = self.num("fraction", lo=0.0, hi=1.0, open_lo=True)
        labels = [lab for lab, f in fractions.items() if math.isclose(f, fr)]
        if not labels:
            raise self.error("fraction", f"{fr:g} is not a fraction of tier {self.ctx.tier!r} "
                                         f"({', '.join(f'{f:g}' for f in fractions.values())})")
        return labels

    def done(self) -> None:
        extra = sorted(set(self.check) - self.seen)
        if extra:
            raise self.error(extra[0], f"unknown key; this check reads: {', '.join(sorted(self.seen - {'name'}))}")
