"""Reparameterization schedules: which layer leaves its convolution phase at which epoch.

A schedule is data (``{kind = "prs", first = 10, last = 40}``); ``switch_epochs`` maps it to one
switch epoch per reparameterizable layer (index 0 = nearest the input). ``None`` means the layer
stays a convolution; epoch ``e`` means it is attention from the start of epoch ``e`` (0-based).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

from ..registry import Registry

SwitchFn = Callable[[dict[str, Any], int], list[Fraction | int | None]]
SCHEDULES: Registry[SwitchFn] = Registry("schedule")


def _round(x: Fraction | int) -> int:
    """Half up, exactly: the ramp is rational, so a tie such as 27.5 is never seen as 27.4999..."""
    return math.floor(Fraction(x) + Fraction(1, 2))


def _ramp(n: int) -> list[Fraction]:
    """0 .. 1 over n layers, exact (a single layer sits at 1: it switches at ``first``)."""
    return [Fraction(1)] * n if n == 1 else [Fraction(i, n - 1) for i in range(n)]


@SCHEDULES.register("never")
def _never(spec: dict[str, Any], n: int) -> list[Fraction | int | None]:
    return [None] * n


@SCHEDULES.register("zero")
def _zero(spec: dict[str, Any], n: int) -> list[Fraction | int | None]:
    return [0] * n


@SCHEDULES.register("uniform")
def _uniform(spec: dict[str, Any], n: int) -> list[Fraction | int | None]:
    return [spec["epoch"]] * n


@SCHEDULES.register("prs")
def _prs(spec: dict[str, Any], n: int) -> list[Fraction | int | None]:
    """docs/METHOD.md section 4: e_l = e_last - l/(L-1) (e_last - e_first); the last layer switches first."""
    first, last = spec["first"], spec["last"]
    return [last - r * (last - first) for r in _ramp(n)]


@SCHEDULES.register("reversed")
def _reversed(spec: dict[str, Any], n: int) -> list[Fraction | int | None]:
    """The ablation: the first layer switches first, the last layer last (PRS mirrored in depth,
    so a single layer switches at ``first`` under both)."""
    return _prs(spec, n)[::-1]


REQUIRED = {"never": (), "zero": (), "uniform": ("epoch",), "prs": ("first", "last"), "reversed": ("first", "last")}


def validate_schedule(spec: dict[str, Any], epochs: int) -> None:
    """Raise ValueError naming the bad value: unknown kind, missing keys, epochs out of range."""
    kind = spec.get("kind")
    if kind not in SCHEDULES:
        raise ValueError(f"unknown schedule kind {kind!r}; choose one of: {', '.join(SCHEDULES.names())}")
    allowed = set(REQUIRED[kind]) | {"kind"}
    extra = set(spec) - allowed
    if extra:
        raise ValueError(f"schedule {kind!r} takes no key {sorted(extra)[0]!r} (allowed: {sorted(allowed)})")
    for key in REQUIRED[kind]:
        v = spec.get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"schedule {kind!r} needs integer '{key}', got {v!r}")
        if not 0 <= v < epochs:
            raise ValueError(f"schedule {kind!r} {key}={v} is past the end of training ({epochs} epochs, "
                             f"so 0..{epochs - 1}); use kind='never' to stay a convolution")
    if kind in ("prs", "reversed") and spec["first"] > spec["last"]:
        raise ValueError(f"schedule {kind!r} needs first <= last, got first={spec['first']} last={spec['last']}")


def switch_epochs(spec: dict[str, Any], num_layers: int, epochs: int) -> list[int | None]:
    """One switch epoch (or None) per layer, input side first."""
    validate_schedule(spec, epochs)
    raw = SCHEDULES.get(spec["kind"])(spec, num_layers)
    return [None if e is None else _round(e) for e in raw]
