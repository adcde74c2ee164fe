"""Reference runs: this project's own per-seed results that reruns are compared with (the CI use).

One JSON file per (suite, version, tier, device) at
``baselines/reference/SUITE/vVERSION/TIER/DEVICE.json``. A set never mixes versions, tiers,
devices or configs: ``add`` refuses records that would, and ``load`` refuses a file that does.
Like MLPerf's RCPs, the raw per-run values are kept (not just a mean), so olympic means and
t-tests can be recomputed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..records.atomic import atomic_write_json
from ..records.record import RunRecord

SCHEMA = 1
RUN_KEYS = ("arm", "data_label", "seed", "config_hash", "metrics")


def device_slug(device: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", device).strip("-").lower() or "unknown"


@dataclass
class ReferenceSet:
    suite: str
    version: int
    tier: str
    device: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    def key(self) -> tuple[str, int, str, str]:
        return (self.suite, self.version, self.tier, self.device)

    def select(self, arm: str, data_label: str) -> list[dict[str, Any]]:
        return [r for r in self.runs if r["arm"] == arm and r["data_label"] == data_label]

    def to_json(self) -> dict[str, Any]:
        runs = sorted(self.runs, key=lambda r: (r["arm"], r["data_label"], r["seed"], r.get("created", "")))
        return {
            "schema": SCHEMA,
            "suite": self.suite,
            "version": self.version,
            "tier": self.tier,
            "device": self.device,
            "runs": runs,
        }


def run_entry(rec: RunRecord) -> dict[str, Any]:
    """What a reference set keeps of a record: identity, config hash, metrics (and analysis), provenance."""
    return {
        "arm": rec.arm,
        "data_label": rec.data_label,
        "seed": rec.seed,
        "config_hash": rec.config_hash,
        "metrics": rec.metrics,
        "created": rec.created or "",
        "wall_time_s": rec.wall_time_s,
        "packages": rec.provenance.get("packages", {}),
        "git": rec.provenance.get("git", {}),
        **({"analysis": rec.analysis} if rec.analysis is not None else {}),
    }


class ReferenceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, suite: str, version: int, tier: str, device: str) -> Path:
        return self.root / suite / f"v{version}" / tier / f"{device_slug(device)}.json"

    def load(self, suite: str, version: int, tier: str, device: str) -> ReferenceSet | None:
        p = self.path(suite, version, tier, device)
        return self._read(p) if p.exists() else None

    def sets(self) -> list[ReferenceSet]:
        if not self.root.is_dir():
            return []
        return [self._read(p) for p in sorted(self.root.rglob("*.json"))]

    def _read(self, p: Path) -> ReferenceSet:
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BenchError(f"{p}: unreadable reference-run file ({exc})") from None
        try:
            ref = ReferenceSet(raw["suite"], raw["version"], raw["tier"], raw["device"], list(raw["runs"]))
        except (KeyError, TypeError):
            raise BenchError(f"{p}: not a reference-run file (needs suite, version, tier, device, runs)") from None
        if p != self.path(*ref.key()):
            raise BenchError(
                f"{p}: holds {ref.suite} v{ref.version} {ref.tier} on {ref.device!r}, "
                f"which belongs at {self.path(*ref.key())}; a set never mixes versions, tiers or devices"
            )
        hashes: dict[tuple[str, str], set[str]] = defaultdict(set)
        for i, run in enumerate(ref.runs):
            missing = [k for k in RUN_KEYS if k not in run]
            if missing:
                raise BenchError(f"{p}: runs[{i}] lacks {missing[0]!r}")
            hashes[(run["arm"], run["data_label"])].add(run["config_hash"])
        mixed = [k for k, v in hashes.items() if len(v) > 1]
        if mixed:
            raise BenchError(f"{p}: arm {mixed[0][0]!r} at {mixed[0][1]} mixes {len(hashes[mixed[0]])} configs")
        return ref

    def add(
        self,
        records: list[RunRecord],
        replace: bool = False,
        stale: Callable[[RunRecord], str | None] | None = None,
    ) -> list[tuple[Path, int, int]]:
        """Add complete records; returns (file, runs added, duplicates skipped) per reference set.

        A set is per device and runtime (``RunRecord.device_label``), the label the ``regression``
        check looks its records up by: a bf16 rerun is never compared with fp32 references.

        Refuses (BenchError, nothing written): one suite and tier in several versions, a record
        that ``stale`` says is out of date, and a config that differs from the stored runs of
        the same arm and data (unless ``replace``, which drops those stored runs first).
        """
        done = [r for r in records if r.complete]
        if not done:
            raise BenchError("no complete run records to add")
        versions: dict[tuple[str, str], set[int]] = defaultdict(set)
        for r in done:
            versions[(r.suite, r.tier)].add(r.version)
        for (suite, tier), vs in sorted(versions.items()):
            if len(vs) > 1:
                raise BenchError(
                    f"refusing to add {suite} tier {tier!r} runs of several versions "
                    f"({', '.join(f'v{v}' for v in sorted(vs))}) at once: add one version's results"
                )
        if stale:
            for r in done:
                why = stale(r)
                if why:
                    raise BenchError(f"refusing {r.suite} v{r.version} {r.tier} {r.arm} seed {r.seed}: {why}")
        groups: dict[tuple[str, int, str, str], list[RunRecord]] = defaultdict(list)
        for r in done:
            groups[(r.suite, r.version, r.tier, r.device_label)].append(r)
        plans = []
        for key, recs in sorted(groups.items()):
            ref = self.load(*key) or ReferenceSet(*key)
            added, skipped = self._merge(ref, recs, replace)
            plans.append((ref, added, skipped))
        out = []
        for ref, added, skipped in plans:
            p = self.path(*ref.key())
            atomic_write_json(p, ref.to_json())
            out.append((p, added, skipped))
        return out

    @staticmethod
    def _merge(ref: ReferenceSet, recs: list[RunRecord], replace: bool) -> tuple[int, int]:
        new_hash: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in recs:
            new_hash[(r.arm, r.data_label)].add(r.config_hash)
        for (arm, label), hs in new_hash.items():
            if len(hs) > 1:
                raise BenchError(
                    f"refusing to add {ref.suite} v{ref.version} {ref.tier} {arm} @ {label}: "
                    f"the records hold {len(hs)} different configs"
                )
            old = {run["config_hash"] for run in ref.select(arm, label)}
            if old and old != hs:
                if not replace:
                    raise BenchError(
                        f"refusing to add {ref.suite} v{ref.version} {ref.tier} {arm} @ {label}: "
                        "its config differs from the stored reference runs; pass --replace to drop them"
                    )
                ref.runs = [run for run in ref.runs if not (run["arm"] == arm and run["data_label"] == label)]
        seen = {(x["arm"], x["data_label"], x["seed"], x["config_hash"], x.get("created", "")) for x in ref.runs}
        added = skipped = 0
        for r in recs:
            entry = run_entry(r)
            k = (entry["arm"], entry["data_label"], entry["seed"], entry["config_hash"], entry["created"])
            if k in seen:
                skipped += 1
                continue
            seen.add(k)
            ref.runs.append(entry)
            added += 1
        return added, skipped
