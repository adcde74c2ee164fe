"""Run records: atomic writes, the store with per-run locks, integrity checks, provenance."""

from .atomic import atomic_write_bytes, atomic_write_json
from .lock import RunHeld
from .provenance import collect as collect_provenance
from .store import RecordStore, load_record, make_record
from .validate import BadRecord, scan

__all__ = [
    "BadRecord",
    "RecordStore",
    "RunHeld",
    "atomic_write_bytes",
    "atomic_write_json",
    "collect_provenance",
    "load_record",
    "make_record",
    "scan",
]
