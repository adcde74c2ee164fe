"""Run-record integrity: the JSON Schema, the content digest, identity against the path, duplicates.

A record is trusted only when it parses as strict JSON (no NaN or infinities), matches
``run_record.schema.json``, its ``digest`` is the sha256 of its canonical JSON without the digest,
its ``config_hash`` is the hash of its ``config``, and its identity (suite, version, tier, arm,
data label, seed) is the path it sits at. The digest catches accidental edits and corrupt copies;
it is not a signature: anyone can recompute it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import BenchError
from ..suite.hashing import content_hash
from .record import RunRecord

SCHEMA_FILE = Path(__file__).with_name("run_record.schema.json")
IDENTITY = ("suite", "version", "tier", "arm", "data_label", "seed")


class BadRecord(BenchError):
    """A run record that cannot be trusted; the message is one line naming the file."""


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def relpath_of(rec: dict[str, Any]) -> str:
    """Where a record with this identity lives under runs/."""
    return f"{rec['suite']}/v{rec['version']}/{rec['tier']}/{rec['arm']}/{rec['data_label']}/seed{rec['seed']}.json"


def digest_of(rec: dict[str, Any]) -> str:
    return content_hash({k: v for k, v in rec.items() if k != "digest"})


def with_digest(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k != "digest"}
    out["digest"] = digest_of(out)
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number {text} overflows to {v}")
    return v


def parse(data: bytes, path: Path) -> Any:
    """Strict JSON: NaN, Infinity and overflowing numbers are refused, not read as floats."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRecord(
            f"{path}: unreadable run record ({_short(str(exc))}); delete it or rerun that run with --rerun"
        ) from None


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _where(err: jsonschema.ValidationError) -> str:
    return "/".join(str(p) for p in err.absolute_path) or "(top level)"


def check(rec: Any, path: Path, relpath: str | None = None) -> dict[str, Any]:
    """Return ``rec`` if it can be trusted, else raise BadRecord naming ``path`` and the first problem.

    ``relpath`` is the record's place under runs/ (when it has one): its identity must match it.
    """
    from ..suite.plan import data_label  # records sit above the suite layer

    errors = list(validator().iter_errors(rec))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise BadRecord(f"{path}: not a valid run record: {_where(err)}: {_short(err.message)}")
    if rec["digest"] != digest_of(rec):
        raise BadRecord(
            f"{path}: content does not match its digest (edited or corrupted after it was written); "
            f"rerun that run with --rerun"
        )
    expected = content_hash({"suite": rec["suite"], "version": rec["version"], "config": rec["config"]})
    if rec["config_hash"] != expected:
        raise BadRecord(f"{path}: config_hash does not match its config; rerun that run with --rerun")
    try:
        label = data_label(rec["config"]["data"])
    except (KeyError, TypeError, ValueError):
        label = None
    if rec["data_label"] != label:
        raise BadRecord(f"{path}: data_label {rec['data_label']!r} does not match its data config ({label!r})")
    if relpath is not None and relpath != relpath_of(rec):
        raise BadRecord(
            f"{path}: identity ({relpath_of(rec).removesuffix('.json')}) does not match its place "
            f"under runs/ ({relpath}); a copied or moved record is not counted"
        )
    return rec


def load(path: Path, relpath: str | None = None) -> dict[str, Any]:
    """Read and check one record file; BadRecord (one line) if it cannot be trusted."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadRecord(f"{path}: cannot read run record ({exc.strerror or exc})") from None
    return check(parse(data, path), path, relpath)


def fingerprint(rec: dict[str, Any]) -> str | None:
    """Same training outcome at two places = a copied record (real runs never repeat all of this)."""
    if rec.get("status") != "complete":
        return None
    return content_hash({k: rec.get(k) for k in ("config_hash", "created", "wall_time_s", "history", "metrics")})


def not_a_record_file(p: Path) -> str | None:
    """Why ``p`` (when it exists) cannot hold a record: a link, a folder, a FIFO or another special file."""
    if p.is_symlink():
        return "a symbolic link" if p.exists() else "a dangling symbolic link"
    if not p.exists():
        return None
    if p.is_dir():
        return "a folder"
    return None if p.is_file() else "not a regular file"


def refuse_duplicates(
    found: Iterable[tuple[Path, dict[str, Any]]],
) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    """Keep the first record of each run identity; refuse every record of a training outcome found
    at more than one place. A copy cannot be told from its original (the digest is no signature),
    so neither counts and each is named: keeping the one whose path sorts first would let a copy
    displace the genuine record."""
    found = list(found)
    places: dict[str, list[Path]] = {}
    for path, rec in found:
        fp = fingerprint(rec)
        if fp is not None:
            places.setdefault(fp, []).append(path)
    kept: list[tuple[Path, dict[str, Any]]] = []
    problems: list[str] = []
    by_key: dict[tuple[Any, ...], Path] = {}
    for path, rec in found:
        fp = fingerprint(rec)
        if fp is not None and len(places[fp]) > 1:
            others = ", ".join(str(p) for p in places[fp] if p != path)
            problems.append(
                f"{path}: same training outcome as {others} (one is a copy; neither is counted): "
                "remove the copy, or rerun the run with --rerun"
            )
            continue
        key = tuple(rec[k] for k in IDENTITY)
        if key in by_key:
            problems.append(
                f"{path}: duplicate of run {relpath_of(rec).removesuffix('.json')} already read from "
                f"{by_key[key]}; not counted twice"
            )
            continue
        by_key[key] = path
        kept.append((path, rec))
    return kept, problems


def runs_folder(path: Path) -> tuple[Path, Path] | None:
    """(runs folder, record path relative to it) when ``path`` sits under a ``runs/`` folder."""
    p = Path(path).absolute()
    for parent in p.parents:
        if parent.name == "runs":
            return parent, p.relative_to(parent)
    return None


def scan(paths: Iterable[Path]) -> tuple[list[RunRecord], list[str]]:
    """Records from results folders, runs/ folders or record files: (good records, one line per bad one).

    Files under a ``runs/`` folder are checked against their place there; duplicates are refused.
    Raises BenchError only for a path that does not exist.
    """
    found: list[tuple[Path, dict[str, Any]]] = []
    problems: list[str] = []
    for p in paths:
        p = Path(p)
        if p.is_file():
            files = [p]
        elif p.is_dir():
            root = p / "runs" if (p / "runs").is_dir() else p
            files = []
            for f in sorted(root.rglob("*.json")):
                problem = not_a_record_file(f)  # a folder, FIFO or link is never opened (a FIFO blocks)
                if problem:
                    problems.append(f"{f}: {problem}; not a run record (skipped)")
                else:
                    files.append(f)
        else:
            raise BenchError(
                f"{p}: no such results folder or record file; give a results folder, a runs/ folder or a record .json"
            )
        for f in files:
            where = runs_folder(f)
            try:
                found.append((f, load(f, where[1].as_posix() if where else None)))
            except BadRecord as exc:
                problems.append(str(exc))
    kept, dups = refuse_duplicates(found)
    return [RunRecord.from_dict(rec) for _, rec in kept], problems + dups
