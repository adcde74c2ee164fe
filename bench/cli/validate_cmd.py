"""Check run records: the JSON Schema (bench/records/run_record.schema.json), the content digest,
identity against the path under runs/, config hash, duplicates, finite in-range metrics.

PATH is a record file, a runs/ folder or a results folder. One line per bad record; exit 0 when
all are good, 1 when any is bad, 2 when PATH holds no records. The digest catches accidental edits
and corrupt copies; it is not a signature.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import BenchError
from ..records import scan


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="record files, runs/ folders or results folders")


def main(args: argparse.Namespace) -> int:
    records, problems = scan(args.paths)
    if not records and not problems:
        raise BenchError(
            f"{', '.join(map(str, args.paths))}: no run records (*.json) found; give a results folder, "
            f"a runs/ folder or a record file"
        )
    for msg in problems:
        print(msg)
    print(
        f"{len(records) + len(problems)} record(s) checked: {len(records)} good, {len(problems)} bad", file=sys.stderr
    )
    return 1 if problems else 0
