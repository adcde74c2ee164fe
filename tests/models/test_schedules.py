"""switch_epochs: exact half-up rounding of the linear ramps, and PRS/reversed as mirror images."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from bench.models.schedules import switch_epochs


def exact_prs(first: int, last: int, n: int) -> list[int]:
    """docs/METHOD.md section 4 in rational arithmetic, ties (x.5) rounded up."""
    if n == 1:
        return [first]
    return [math.floor(last - Fraction(i, n - 1) * (last - first) + Fraction(1, 2)) for i in range(n)]


@pytest.mark.parametrize("first,last,n", [(0, 54, 13), (1, 55, 13), (0, 45, 11), (100, 200, 12), (0, 5, 3)])
def test_ties_round_half_up_exactly(first: int, last: int, n: int) -> None:
    """e.g. 13 layers over 0..54: layer 7 sits at exactly 22.5 and must round to 23, not 22."""
    assert switch_epochs({"kind": "prs", "first": first, "last": last}, n, 300) == exact_prs(first, last, n)
    assert switch_epochs({"kind": "reversed", "first": first, "last": last}, n, 300) == exact_prs(first, last, n)[::-1]


def test_tie_example() -> None:
    assert switch_epochs({"kind": "prs", "first": 0, "last": 54}, 13, 60)[7] == 23
    assert switch_epochs({"kind": "reversed", "first": 0, "last": 45}, 11, 60)[7] == 32


def test_single_layer_switches_at_first_under_both_directions() -> None:
    """One layer is both the first and the last: PRS and its reversal agree on it."""
    assert switch_epochs({"kind": "prs", "first": 2, "last": 9}, 1, 10) == [2]
    assert switch_epochs({"kind": "reversed", "first": 2, "last": 9}, 1, 10) == [2]


def test_epochs_are_plain_ints() -> None:
    for kind in ("prs", "reversed"):
        assert all(type(e) is int for e in switch_epochs({"kind": kind, "first": 1, "last": 6}, 4, 10))
