"""Run records on disk: one JSON per (suite, version, tier, arm, data, seed) under results/runs/.

Writes are atomic. A complete record is never replaced silently: ``write(..., replace=True)``
moves the old one to results/archive/ with a timestamp first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import BenchError
from .atomic import atomic_write_json

SCHEMA = 1
REQUIRED = ("schema", "suite", "version", "tier", "arm", "seed", "data_label", "status", "config",
            "config_hash", "metrics", "history", "provenance")


class RecordStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"

    def path(self, relpath: str) -> Path:
        return self.runs / relpath

    def run_dir(self, relpath: str) -> Path:
        """Scratch space of one run (checkpoints, event log), beside but outside the records."""
        return self.root / "work" / relpath.removesuffix(".json")

    def read(self, relpath: str) -> dict[str, Any] | None:
        p = self.path(relpath)
        return load_record(p) if p.exists() else None

    def is_complete(self, relpath: str, config_hash: str, runtime: dict[str, Any] | None = None) -> bool:
        """Done = a complete record of this config and, when ``runtime`` is given, made with that
        runtime (precision, compile, world size, device type): a bf16 record does not stand in for fp32."""
        return self.status(relpath, config_hash, runtime) == "done"

    def status(self, relpath: str, config_hash: str, runtime: dict[str, Any] | None = None) -> str:
        """"done", "pending" (no record, or a failed one) or "stale" (complete, other config or runtime)."""
        rec = self.read(relpath)
        if not rec or rec["status"] != "complete":
            return "pending"
        same = rec["config_hash"] == config_hash and (runtime is None or rec.get("runtime") == runtime)
        return "done" if same else "stale"

    def write(self, relpath: str, record: dict[str, Any], replace: bool = False) -> Path:
        p = self.path(relpath)
        if p.exists():
            old = load_record(p)
            if old["status"] == "complete" and not replace:
                raise BenchError(f"{p} already holds a complete run; pass --rerun to archive it and run again")
            archive = self.root / "archive" / f"{relpath.removesuffix('.json')}.{time.strftime('%Y%m%dT%H%M%S')}.json"
            archive.parent.mkdir(parents=True, exist_ok=True)
            p.replace(archive)
        atomic_write_json(p, record)
        return p

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.runs.is_dir():
            return
        for p in sorted(self.runs.rglob("*.json")):
            yield load_record(p)

    def all(self) -> list[dict[str, Any]]:
        return list(self)


def load_record(path: Path) -> dict[str, Any]:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchError(f"{path}: unreadable run record ({exc}); delete it or rerun that run with --rerun") from None
    missing = [k for k in REQUIRED if k not in rec] if isinstance(rec, dict) else list(REQUIRED)
    if missing:
        raise BenchError(f"{path}: run record lacks {missing[0]!r}; delete it or rerun that run with --rerun")
    return rec


def make_record(spec: Any, result: Any, provenance: dict[str, Any], wall_time_s: float,
                data_meta: dict[str, Any], runtime: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "suite": spec.suite,
        "version": spec.version,
        "tier": spec.tier,
        "arm": spec.arm,
        "seed": spec.seed,
        "data_label": spec.data_label,
        "status": result.status,
        "error": result.error,
        "config": spec.config,
        "config_hash": spec.config_hash,
        "data": data_meta,
        "metrics": result.metrics,
        "history": result.history,
        "events": result.events,
        "model_stats": getattr(result, "model_stats", None),
        "provenance": provenance,
        "runtime": runtime,
        "wall_time_s": round(wall_time_s, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
