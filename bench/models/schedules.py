"""Reparameterization schedules: which layer leaves its convolution phase at which epoch.

A schedule is data (``{kind = "prs", first = 10, last = 40}``); ``switch_epochs``
maps it to one switch epoch per reparameterizable layer (index 0 = nearest the input). ``None``
means the layer stays a convolution; epoch ``e`` means it is attention from the start of epoch
``e`` (0-based).

Forced softening (``force_soften_epochs``, an ablation, never the default; docs/REPARAM.md): a
switched layer leaves its convolution only as far as training moves it. With
``force_soften_epochs = S`` the schedule instead imposes a soft share rising linearly from 0 to 1
over the S epochs after each layer's own switch (``ReparamGPSA.force_soft``): the layer is pushed
from the convolution to ConViT's positional attention whatever its gradients say. It exists to
measure how much of an effect the imposition alone explains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

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

# optional keys of every kind that switches: key -> (predicate, what the value must be)
ABLATION_KEYS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "force_soften_epochs": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a positive integer (epochs from each layer's switch until the imposed soft share reaches 1)",
    ),
}
# keys of earlier suite versions, with what replaced them
REMOVED_KEYS = {
    "soften_epochs": "softening is no longer part of the method (suite v5): a switched layer leaves the "
    "convolution by learning; 'force_soften_epochs' imposes it as an ablation",
    "locality_end": "removed in suite v5: the soft map's locality is learned",
}


def validate_schedule(spec: dict[str, Any], epochs: int) -> None:
    """Raise ValueError naming the bad value: unknown kind, missing keys, epochs out of range."""
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in SCHEDULES:
        raise ValueError(f"unknown schedule kind {kind!r}; choose one of: {', '.join(SCHEDULES.names())}")
    for key, why in REMOVED_KEYS.items():
        if key in spec:
            raise ValueError(f"schedule {kind!r} key {key!r}: {why}")
    allowed = set(REQUIRED[kind]) | {"kind"} | (set(ABLATION_KEYS) if kind != "never" else set())
    extra = set(spec) - allowed
    if extra:
        raise ValueError(f"schedule {kind!r} takes no key {sorted(extra)[0]!r} (allowed: {sorted(allowed)})")
    for key, (pred, what) in ABLATION_KEYS.items():
        if key in spec and not pred(spec[key]):
            raise ValueError(f"schedule {kind!r} '{key}' must be {what}, got {spec[key]!r}")
    for key in REQUIRED[kind]:
        v = spec.get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"schedule {kind!r} needs integer '{key}', got {v!r}")
        if not 0 <= v < epochs:
            raise ValueError(
                f"schedule {kind!r} {key}={v} is past the end of training ({epochs} epochs, "
                f"so 0..{epochs - 1}); use kind='never' to stay a convolution"
            )
    if kind in ("prs", "reversed") and spec["first"] > spec["last"]:
        raise ValueError(f"schedule {kind!r} needs first <= last, got first={spec['first']} last={spec['last']}")


def switch_epochs(spec: dict[str, Any], num_layers: int, epochs: int) -> list[int | None]:
    """One switch epoch (or None) per layer, input side first."""
    validate_schedule(spec, epochs)
    raw = SCHEDULES.get(spec["kind"])(spec, num_layers)
    return [None if e is None else _round(e) for e in raw]


def forced_softening(spec: dict[str, Any], switch_epoch: int | None, position: float) -> float | None:
    """The imposed soft share in [0, 1] of a layer at ``position`` (epochs, fractional), or None.

    None: the schedule imposes nothing (the default), or the layer has not switched. Linear from
    the layer's own switch; a layer switched before the first step starts soft anyway.
    """
    if switch_epoch is None or "force_soften_epochs" not in spec or position < switch_epoch:
        return None
    return 1.0 if switch_epoch == 0 else min(1.0, (position - switch_epoch) / spec["force_soften_epochs"])
