"""``--shard K/N``: a deterministic, disjoint and complete split of the planned runs.

With a cost (``select_shard(..., cost=...)``, what ``prs-bench run`` passes: the estimated device
time of ``bench.launch.cost``), the split is balanced: longest-first greedy over the whole plan,
sorted by (cost descending, run id), each run to the least-loaded shard. A run's shard depends only
on the plan (never on plan order, on which runs are finished, or on the machine), so every CI
matrix job computes the same split without talking to the others; adding or removing runs may move
other runs. Without a cost, a run's shard is a hash of its run id modulo N (stable even under
additions, but unbalanced: 24/11/18/11 of the 64 quick runs).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
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


def balanced_shards(specs: Sequence[Any], n: int, cost: Callable[[Any], float]) -> dict[str, int]:
    """run id -> 1-based shard: longest-processing-time-first greedy, ties to the lower shard."""
    costs = {s.run_id: float(cost(s)) for s in specs}
    loads = [0.0] * n
    out: dict[str, int] = {}
    for run_id in sorted(costs, key=lambda r: (-costs[r], r)):
        k = min(range(n), key=lambda i: (loads[i], i))
        out[run_id] = k + 1
        loads[k] += costs[run_id]
    return out


def select_shard(specs: Sequence[Any], k: int, n: int, cost: Callable[[Any], float] | None = None) -> list[Any]:
    """The specs (anything with ``run_id``) of shard ``k`` of ``n``, in plan order."""
    if cost is None:
        return [s for s in specs if shard_of(s.run_id, n) == k]
    where = balanced_shards(specs, n, cost)
    return [s for s in specs if where[s.run_id] == k]
