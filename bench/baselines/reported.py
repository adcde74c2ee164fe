"""Reported numbers (baselines/reported.toml): each entry carries where a reader can check it.

Only numbers read in a public source enter (docs/STATISTICS.md, docs/SOURCES.md); the loader refuses an
entry without source, URL, place in the source (table/row/file) and recipe, so an unsourced number
cannot slip in.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BenchError
from ..records.metrics import TEST_ACC, TEST_ACC_BEST
from ..schema import Key, is_bool, is_finite, is_text, list_of, validate_table

STATISTICS = {"final-epoch": TEST_ACC, "best-epoch": TEST_ACC_BEST, "unstated": TEST_ACC}

SCHEMA: dict[str, Key] = {
    "value": Key(True, is_finite, "a number (the reported value, in the metric's unit)"),
    "metric": Key(True, is_text, f"the record metric it compares with, e.g. {TEST_ACC!r} (top-1 %)"),
    "dataset": Key(True, is_text, "the data source prefix, e.g. 'cifar100' or 'imagenet'"),
    "model": Key(True, is_text, "the model as the source names it"),
    "recipe": Key(True, is_text, "the training recipe the number belongs to"),
    "source": Key(True, is_text, "who reports it (paper or repository)"),
    "url": Key(True, lambda v: is_text(v) and v.startswith("https://"), "an https URL a reader can open"),
    "where": Key(True, is_text, "where in the source: table/row, file, issue"),
    "statistic": Key(
        True,
        lambda v: v in STATISTICS,
        "'final-epoch', 'best-epoch' or 'unstated' (what the source reports; unstated: compared with the final epoch)",
    ),
    "fraction": Key(False, lambda v: is_finite(v) and 0 < v <= 1, "the training-set fraction, in (0, 1]"),
    "spread": Key(False, lambda v: is_finite(v) and v >= 0, "the per-run standard deviation the source gives"),
    "n": Key(False, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "the number of runs"),
    "values": Key(False, list_of(is_finite, min_len=2), "the per-run values the source lists (at least 2)"),
    "approximate": Key(False, is_bool, "true when the source says 'about'"),
    "hardware": Key(False, is_text, "the hardware the source used"),
    "note": Key(False, is_text, "a string"),
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
        if entry["metric"] in (TEST_ACC, TEST_ACC_BEST) and entry["metric"] != STATISTICS[entry["statistic"]]:
            raise BenchError(
                f"{path}: [{rid}] is a {entry['statistic']} figure, so its metric must be "
                f"{STATISTICS[entry['statistic']]!r}, not {entry['metric']!r}"
            )
        kw = dict(entry)
        if "values" in kw:
            kw["values"] = tuple(float(x) for x in kw["values"])
        out[rid] = Reported(id=rid, **kw)
    return out
