"""Run records on disk: one JSON per (suite, version, tier, arm, data, seed) under results/runs/.

What the store promises (docs/RELIABILITY.md):

- Writes are atomic (a reader sees the old record or the new one) and every record carries a
  content digest that readers verify.
- A complete record is never replaced silently: ``write(..., replace=True)`` first copies the old
  one into results/archive/ under a name that never collides (UTC time to the microsecond, pid
  and a counter, created with ``O_EXCL``), so concurrent reruns keep every record.
- One lock per run (``seed0.lock`` beside ``seed0.json``): ``lock(relpath)`` is held while a run
  trains and while its record is written; another live process gets a one-line message naming
  the holder. Locks of dead processes vanish with them.
- Reading never stops at a bad record: ``scan()`` returns the good ones and one line per bad one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..suite.hashing import canonical_json
from .atomic import atomic_write_json, exclusive_write_bytes
from .lock import RunLock
from .record import RunRecord
from .validate import BadRecord, check, load, not_a_record_file, refuse_duplicates, scan, with_digest

SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
WRITE_WAIT_S = 30.0  # how long write() waits for a run held by a short write elsewhere


def check_relpath(relpath: str) -> str:
    """A record path under runs/ made of safe names only: nothing can point outside the folder."""
    parts = relpath.split("/")
    if not relpath.endswith(".json") or any(not SAFE_PART.match(p) or ".." in p for p in parts):
        raise BenchError(
            f"run path {relpath!r} is not made of safe names (letters, digits, '_', '.', '-'); "
            f"rename the suite, arm or tier"
        )
    return relpath


def warn(msg: str) -> None:
    print(f"prs-bench: warning: {msg}", file=sys.stderr, flush=True)


class RecordStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self._locks: dict[str, RunLock] = {}
        self._archived = 0

    def path(self, relpath: str) -> Path:
        return self.runs / check_relpath(relpath)

    def run_dir(self, relpath: str) -> Path:
        """Scratch space of one run (checkpoints, event log), beside but outside the records."""
        return self.root / "work" / check_relpath(relpath).removesuffix(".json")

    @contextmanager
    def lock(self, relpath: str, wait: float = 0.0) -> Iterator[None]:
        """Hold this run's lock (re-entrant within this store); RunHeld if another process has it."""
        if relpath in self._locks:
            yield
            return
        lk = RunLock(self.path(relpath).with_suffix(".lock"), f"run {relpath.removesuffix('.json')}")
        lk.acquire(wait)
        self._locks[relpath] = lk
        try:
            yield
        finally:
            del self._locks[relpath]
            lk.release()

    def read(self, relpath: str) -> RunRecord | None:
        """The record at ``relpath``, or None if there is none; BadRecord if it cannot be trusted
        (a folder, FIFO or link in its place is never opened: reading a FIFO would block)."""
        p = self.path(relpath)
        if not (p.exists() or p.is_symlink()):
            return None
        problem = not_a_record_file(p)
        if problem:
            raise BadRecord(f"{p}: {problem}; not a run record")
        return RunRecord.from_dict(load(p, relpath))

    def check_destination(self, relpath: str) -> None:
        """Refuse, before a run trains, a record path it could not write (checked again at write)."""
        p = self.path(relpath)
        problem = not_a_record_file(p)
        if problem:
            raise BenchError(f"{p}: {problem}, where this run's record goes; move it away and run again")

    def check_runtime(self, relpath: str, config_hash: str, runtime: dict[str, Any]) -> None:
        """Refuse, before a run trains, to replace a complete record of the same config made with
        another runtime (a bf16 run over an fp32 one): the two are different measurements and one
        path holds one of them. ``--rerun`` archives the old one (announced); another ``--out`` keeps both."""
        try:
            rec = self.read(relpath)
        except BadRecord:
            return  # counted as missing: trained again, archived when written
        if rec is None or not rec.complete or rec.config_hash != config_hash or rec.runtime in (None, runtime):
            return
        raise BenchError(
            f"{self.path(relpath)}: holds a complete run of this config made with {runtime_text(rec.runtime)}; "
            f"this command trains it with {runtime_text(runtime)}. Pass --rerun to archive that record and "
            "train again, or --out OTHER to keep both"
        )

    def is_complete(self, relpath: str, config_hash: str, runtime: dict[str, Any] | None = None) -> bool:
        """Done = a complete record of this config and, when ``runtime`` is given, made with that
        runtime (precision, compile, world size, device type): a bf16 record does not stand in for fp32."""
        return self.status(relpath, config_hash, runtime) == "done"

    def status(self, relpath: str, config_hash: str, runtime: dict[str, Any] | None = None) -> str:
        """ "done", "pending" (no record, or a failed one) or "stale" (complete, other config or runtime)."""
        try:
            rec = self.read(relpath)
        except BadRecord:
            return "pending"  # an untrusted record counts as missing: the run is trained again
        if not rec or not rec.complete:
            return "pending"
        same = rec.config_hash == config_hash and (runtime is None or rec.runtime == runtime)
        return "done" if same else "stale"

    def write(
        self, relpath: str, record: RunRecord, replace: bool = False, announce: Callable[[str], None] | None = None
    ) -> Path:
        """Write ``record`` (adding its digest) under the run's lock; archive what it replaces, and
        say where (``announce``, stderr by default): an archive move is never silent."""
        p = self.path(relpath)
        data = with_digest(json.loads(canonical_json(record.to_dict())))  # ValueError on NaN: never written
        try:
            check(data, p, relpath)
        except BadRecord as exc:
            raise BenchError(f"refusing to write an invalid record: {exc}") from None
        with self.lock(relpath, wait=WRITE_WAIT_S):
            if p.exists():
                try:
                    complete = load(p, relpath)["status"] == "complete"
                except BadRecord:
                    complete = False  # an untrusted record is archived, never counted
                if complete and not replace:
                    raise BenchError(f"{p} already holds a complete run; pass --rerun to archive it and run again")
                dest = self._archive(relpath, p.read_bytes())
                (announce or warn)(f"archived the earlier record {p} to {dest}")
            atomic_write_json(p, data)
        return p

    def _archive(self, relpath: str, data: bytes) -> Path:
        stem = self.root / "archive" / relpath.removesuffix(".json")
        while True:
            self._archived += 1
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            dest = stem.parent / f"{stem.name}.{stamp}-p{os.getpid()}-{self._archived}.json"
            try:
                exclusive_write_bytes(dest, data)
                return dest
            except FileExistsError:
                continue

    def scan(self) -> tuple[list[RunRecord], list[str]]:
        """(trusted records, one line per bad record); a bad record is reported and counted as missing."""
        if not self.runs.is_dir():
            return [], []
        found, problems = [], []
        for p in sorted(self.runs.rglob("*.json")):
            problem = not_a_record_file(p)
            if problem:
                problems.append(f"{p}: {problem}; not a run record (skipped)")
                continue
            relpath = p.relative_to(self.runs).as_posix()
            try:
                found.append((p, load(p, relpath)))
            except BadRecord as exc:
                problems.append(str(exc))
            except BenchError as exc:  # an unsafe name in the path
                problems.append(f"{p}: {exc}")
        kept, dups = refuse_duplicates(found)
        return [RunRecord.from_dict(rec) for _, rec in kept], problems + dups

    def all(self, report: Callable[[str], None] = warn) -> list[RunRecord]:
        """Trusted records; each bad one is reported in one line (stderr by default) and skipped."""
        records, problems = self.scan()
        for msg in problems:
            report(msg)
        return records

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.all())


def runtime_text(runtime: dict[str, Any]) -> str:
    """``fp32, eager, 1 rank on cpu``: a record's runtime in words."""
    mode = "compiled" if runtime.get("compile") else "eager"
    return f"{runtime.get('precision')}, {mode}, {runtime.get('world_size')} rank(s) on {runtime.get('device_type')}"


def load_record(path: Path, relpath: str | None = None) -> RunRecord:
    """One trusted record from a file (BadRecord naming the file otherwise)."""
    return RunRecord.from_dict(load(path, relpath))


def collect_records(paths: list[Path]) -> list[RunRecord]:
    """Trusted records from results folders, runs/ folders or single record files.

    Each bad or duplicated record is reported in one line on stderr and left out.
    """
    records, problems = scan(paths)
    for msg in problems:
        warn(msg)
    return records
