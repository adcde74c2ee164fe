"""Run records: atomic writes, the store with per-run locks, integrity checks, provenance."""

from .atomic import atomic_write_bytes, atomic_write_json
from .lock import RunHeld
from .provenance import collect as collect_provenance
from .record import RunRecord, make_record
from .store import RecordStore, collect_records, load_record
from .validate import BadRecord, scan
from .view import TierView, build_tier_view

__all__ = [
    "BadRecord",
    "RecordStore",
    "RunHeld",
    "RunRecord",
    "TierView",
    "atomic_write_bytes",
    "atomic_write_json",
    "build_tier_view",
    "collect_provenance",
    "collect_records",
    "load_record",
    "make_record",
    "scan",
]
