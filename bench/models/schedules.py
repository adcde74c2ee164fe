"""Reparameterization schedules: which layer leaves its convolution phase at which epoch.

A schedule is data (``{kind = "prs", first = 10, last = 40, soften_epochs = 10}``); ``switch_epochs``
maps it to one switch epoch per reparameterizable layer (index 0 = nearest the input). ``None``
means the layer stays a convolution; epoch ``e`` means it is attention from the start of epoch
``e`` (0-based).

Softening (``soften_epochs``, ``locality_end``; docs/REPARAM.md): the switch is exact because the
positional maps are saturated (locality 16), and a saturated map passes no gradient, so a layer
left there stays a convolution. With ``soften_epochs = S`` each switched layer's locality falls
geometrically from its switch strength to ``locality_end`` (default 1, ConViT's) over the S
epochs after *its own* switch, step by step, while its border mask fades out; a layer switched
before the first training step (nothing learned to preserve) starts fully softened.
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
SOFTEN_KEYS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "soften_epochs": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a positive integer (epochs from each layer's switch to the end strength)",
    ),
    "locality_end": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
        "a positive number (the locality strength softening ends at; ConViT's is 1)",
    ),
}
DEFAULT_LOCALITY_END = 1.0


def validate_schedule(spec: dict[str, Any], epochs: int) -> None:
    """Raise ValueError naming the bad value: unknown kind, missing keys, epochs out of range."""
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in SCHEDULES:
        raise ValueError(f"unknown schedule kind {kind!r}; choose one of: {', '.join(SCHEDULES.names())}")
    allowed = set(REQUIRED[kind]) | {"kind"} | (set(SOFTEN_KEYS) if kind != "never" else set())
    extra = set(spec) - allowed
    if extra:
        raise ValueError(f"schedule {kind!r} takes no key {sorted(extra)[0]!r} (allowed: {sorted(allowed)})")
    for key, (pred, what) in SOFTEN_KEYS.items():
        if key in spec and not pred(spec[key]):
            raise ValueError(f"schedule {kind!r} '{key}' must be {what}, got {spec[key]!r}")
    if "locality_end" in spec and "soften_epochs" not in spec:
        raise ValueError(f"schedule {kind!r} has 'locality_end' but no 'soften_epochs'; give both or neither")
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


def softening(
    spec: dict[str, Any], switch_epoch: int | None, position: float, start: float
) -> tuple[float, float] | None:
    """(locality, progress in [0, 1]) of a layer at ``position`` (epochs, fractional), or None.

    None: the schedule does not soften, or the layer has not switched. Geometric in the locality
    (equal time per ratio, so the map's mass moves at a steadier pace than a linear ramp gives);
    the progress also fades the border mask (``ReparamGPSA.soften``).
    """
    if switch_epoch is None or "soften_epochs" not in spec or position < switch_epoch:
        return None
    end = float(spec.get("locality_end", DEFAULT_LOCALITY_END))
    p = 1.0 if switch_epoch == 0 else min(1.0, (position - switch_epoch) / spec["soften_epochs"])
    return start * (end / start) ** p, p
