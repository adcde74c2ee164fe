"""The shipped v2 suites plan the same runs with the same config hashes as when they were pinned.

``fixtures/suites_v2/`` holds frozen copies of the suite files as shipped at version 2, and
``config_hashes.json`` the hash of every run they plan. A refactor of loading, resolving or
hashing must not move a single hash: stored records would silently stop matching their suite.
If a change to what configs contain is intended, it belongs in a new suite version (and new pins).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.suite import load_suite, plan_runs

FROZEN = Path(__file__).parent / "fixtures" / "suites_v2"


def test_v2_suites_plan_the_pinned_hashes() -> None:
    pinned = json.loads((FROZEN / "config_hashes.json").read_text())
    planned = {}
    for path in sorted(FROZEN.glob("*.toml")):
        suite = load_suite(path)
        for tier in suite.tiers:
            planned.update({r.run_id: r.config_hash for r in plan_runs(suite, tier)})
    assert sorted(planned) == sorted(pinned)
    moved = [k for k in pinned if planned[k] != pinned[k]]
    assert not moved, f"{len(moved)} config hashes changed, e.g. {moved[0]}"


def test_pins_cover_every_suite_and_tier() -> None:
    pinned = json.loads((FROZEN / "config_hashes.json").read_text())
    suites_tiers = {tuple(k.split("/")[:3]) for k in pinned}
    assert {s for s, _, _ in suites_tiers} == {p.stem for p in FROZEN.glob("*.toml")}
    assert all(v == "v2" for _, v, _ in suites_tiers)
    assert len(suites_tiers) >= 8 and len(pinned) > 200
