"""Reported numbers (baselines/reported.toml): each entry carries where a reader can check it.

Only numbers read in a public source enter (docs/STATISTICS.md, docs/SOURCES.md); the loader refuses an
entry without source, URL, place in the source (table/row/file) and recipe, so an unsourced number
cannot slip in.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..suite.schema import validate_table


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _str(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


STATISTICS = {"final-epoch": "test_acc", "best-epoch": "test_acc_best", "unstated": "test_acc"}

# key -> (required, predicate, what it must be)
SCHEMA: dict[str, tuple[bool, Any, str]] = {
    "value": (True, _num, "a number (the reported value, in the metric's unit)"),
    "metric": (True, _str, "the record metric it compares with, e.g. 'test_acc' (top-1 %)"),
    "dataset": (True, _str, "the data source prefix, e.g. 'cifar100' or 'imagenet'"),
    "model": (True, _str, "the model as the source names it"),
    "recipe": (True, _str, "the training recipe the number belongs to"),
    "source": (True, _str, "who reports it (paper or repository)"),
    "url": (True, lambda v: _str(v) and v.startswith("https://"), "an https URL a reader can open"),
    "where": (True, _str, "where in the source: table/row, file, issue"),
    "statistic": (True, lambda v: v in STATISTICS,
                  "'final-epoch', 'best-epoch' or 'unstated' (what the source reports; unstated: compared with the final epoch)"),
    "fraction": (False, lambda v: _num(v) and 0 < v <= 1, "the training-set fraction, in (0, 1]"),
    "spread": (False, lambda v: _num(v) and v >= 0, "the per-run standard deviation the source gives"),
    "n": (False, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "the number of runs"),
    "values": (False, lambda v: isinstance(v, list) and len(v) >= 2 and all(_num(x) for x in v),
               "the per-run values the source lists (at least 2)"),
    "approximate": (False, lambda v: isinstance(v, bool), "true when the source says 'about'"),
    "hardware": (False, _str, "the hardware the source used"),
    "note": (False, _str, "a string"),
}


@dataclass(frozen=True)
class Reported:
    id: str
    value: float
    metric: str
    dataset: str
    model: str
    recipe: str
    source: str
    url: str
    where: str
    statistic: str = "unstated"
    fraction: float = 1.0
    spread: float | None = None
    n: int | None = None
    values: tuple[float, ...] = field(default_factory=tuple)
    approximate: bool = False
    hardware: str = ""
    note: str = ""

    def cite(self) -> str:
        return f"{self.source}, {self.where}"

    def short(self) -> str:
        about = "~" if self.approximate else ""
        spread = f" ± {self.spread:g}" if self.spread is not None else ""
        return f"{about}{self.value:g}{spread} [{self.id}]"


def load_reported(path: Path) -> dict[str, Reported]:
    """Parse and validate baselines/reported.toml; one table per id. Missing file: no entries."""
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: not valid TOML: {exc}") from None
    out: dict[str, Reported] = {}
    for rid, entry in raw.items():
        if not isinstance(entry, dict):
            raise BenchError(f"{path}: key {rid!r} must be a table [{rid}] of one reported number")
        validate_table(path, f"{rid}.", entry, SCHEMA)
        if entry["metric"] in ("test_acc", "test_acc_best") and entry["metric"] != STATISTICS[entry["statistic"]]:
            raise BenchError(f"{path}: [{rid}] is a {entry['statistic']} figure, so its metric must be "
                             f"{STATISTICS[entry['statistic']]!r}, not {entry['metric']!r}")
        kw = dict(entry)
        if "values" in kw:
            kw["values"] = tuple(float(x) for x in kw["values"])
        out[rid] = Reported(id=rid, **kw)
    return out
