"""Tables of allowed keys as data, checked with one-line errors: the one schema mechanism.

Suite files (bench/suite/schema.py), recipes (bench/train/recipe.py), reported baselines
(bench/baselines/reported.py) and check tables (each check kind's ``params``) declare their keys
as ``{key: Key(required, check, what[, default])}``; ``validate_table`` rejects unknown keys,
missing required keys and bad values, naming the file and the dotted key. Adding a key is adding
an entry; plain ``(required, check, what)`` tuples are accepted too.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .errors import BenchError

Check = Callable[[Any], bool]
NO_DEFAULT: Any = object()  # marker: an optional key that is left out when absent


class Key(NamedTuple):
    """One allowed key: whether it must be given, its value check, what it must be (for the error)."""

    required: bool
    check: Check
    what: str
    default: Any = NO_DEFAULT


Schema = Mapping[str, Key | tuple[Any, ...]]


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_pos_int(v: Any) -> bool:
    return is_int(v) and v > 0


def is_nonneg_int(v: Any) -> bool:
    return is_int(v) and v >= 0


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_finite(v: Any) -> bool:
    return is_num(v) and math.isfinite(v)


def num_in(lo: float = float("-inf"), hi: float = float("inf"), open_lo: bool = False, open_hi: bool = False) -> Check:
    """A finite number in [lo, hi] (``open_lo`` excludes lo, ``open_hi`` excludes hi)."""

    def check(v: Any) -> bool:
        if not is_finite(v):
            return False
        return (lo < v if open_lo else lo <= v) and (v < hi if open_hi else v <= hi)

    return check


def is_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


def is_text(v: Any) -> bool:
    """A string with more than white space."""
    return isinstance(v, str) and bool(v.strip())


def is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def is_table(v: Any) -> bool:
    return isinstance(v, dict)


def one_of(*choices: Any) -> Check:
    return lambda v: v in choices


def list_of(pred: Check, min_len: int = 0) -> Check:
    return lambda v: isinstance(v, list) and len(v) >= min_len and all(pred(x) for x in v)


def is_fraction(v: Any) -> bool:
    return is_num(v) and 0 < v <= 1


def _key(name: str, entry: Key | tuple[Any, ...]) -> Key:
    spec = entry if isinstance(entry, Key) else Key(*entry)
    if not isinstance(spec.required, bool) or not callable(spec.check):
        raise TypeError(f"schema entry {name!r} must be (required: bool, check, what[, default]), got {entry!r}")
    return spec


def validate_table(
    path: Path | str | None, where: str, table: Mapping[str, Any], schema: Schema, noun: str = "key"
) -> dict[str, Any]:
    """Check ``table`` against ``schema``; return a copy with the declared defaults filled in.

    Errors are one line: ``PATH: unknown key 'WHERE.KEY' (allowed: ...)``, ``missing key ...``,
    ``key ... must be WHAT, got VALUE``. ``noun`` names the kind of key ("recipe key").
    """
    origin = f"{path}: " if path else ""
    for key in table:
        if key not in schema:
            allowed = ", ".join(sorted(schema))
            raise BenchError(f"{origin}unknown {noun} '{where}{key}' (allowed: {allowed})")
    out: dict[str, Any] = {}
    for key, entry in schema.items():
        spec = _key(key, entry)
        if key not in table:
            if spec.required:
                raise BenchError(f"{origin}missing {noun} '{where}{key}': must be {spec.what}")
            if spec.default is not NO_DEFAULT:
                out[key] = copy.deepcopy(spec.default)
            continue
        if not spec.check(table[key]):
            raise BenchError(f"{origin}{noun} '{where}{key}' must be {spec.what}, got {_short(table[key])}")
        out[key] = copy.deepcopy(table[key])
    return out


def _short(value: Any, n: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."
