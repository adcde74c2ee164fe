"""``--shard K/N``: a deterministic, disjoint and complete split of the planned runs.

A run's shard is a hash of its run id (suite/version/tier/arm/data/seed) modulo N, not its
position in the plan, so it never moves when arms, seeds or suites are added or reordered, and
every CI matrix job computes the same split without talking to the others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from ..errors import BenchError

SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); K counts from 1 (the CI matrix index + 1)."""
    m = SHARD.match(text or "")
    if not m:
        raise BenchError(f"--shard {text!r}: give K/N, e.g. 1/4 for the first of four shards")
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= k <= n:
        raise BenchError(f"--shard {text!r}: K must be in 1..N and N >= 1 (got K={k}, N={n})")
    return k, n


def shard_of(run_id: str, n: int) -> int:
    """The 1-based shard of ``run_id`` among ``n``."""
    digest = hashlib.sha256(run_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def select_shard(specs: Sequence[Any], k: int, n: int) -> list[Any]:
    """The specs (anything with ``run_id``) of shard ``k`` of ``n``, in plan order."""
    return [s for s in specs if shard_of(s.run_id, n) == k]
