"""Run records: atomic writes, the store, provenance."""

from .atomic import atomic_write_bytes, atomic_write_json
from .provenance import collect as collect_provenance
from .store import RecordStore, load_record, make_record

__all__ = ["RecordStore", "atomic_write_bytes", "atomic_write_json", "collect_provenance", "load_record",
           "make_record"]
