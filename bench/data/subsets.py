"""Class-balanced training subsets for the data-scale curves; the test split always stays whole.

Two rules, chosen per source (``registry.SOURCES``):

- ``seeded``: from each class c, a seeded draw of floor(r * n_c) indices (CIFAR-100, synthetic).
  The draw depends only on (labels, fraction, seed), so the same labels give the same subset on
  any machine.
- ``convit``: ConViT's ImageNet rule (docs/METHOD.md section 6): for each class in sorted order, the
  first floor(r * n_c) files in sorted filename order.

A subset is identified by ``index_hash``: sha256 of the sorted indices as little-endian int64
bytes (independent of how an index file is formatted). A suite pins it in its data table with
``subset_sha256 = { "0.1" = "<hash>" }``; a different subset is a BenchError.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BenchError
from ..records.atomic import atomic_write_bytes
from .types import DataBundle


def check_fraction(fraction: Any) -> float:
    try:
        r = float(fraction)
    except (TypeError, ValueError):
        r = float("nan")
    if not 0.0 < r <= 1.0:
        raise BenchError(f"data fraction {fraction!r} is outside (0, 1]; use e.g. 0.1 for 10% of the training set")
    return r


def balanced_indices(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Seeded draw of floor(fraction * n_c) indices from each class c, returned sorted."""
    rng = np.random.default_rng([seed, 0xF4AC])
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        k = int(np.floor(fraction * idx.size))
        keep.append(np.sort(rng.choice(idx, size=k, replace=False)))
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def convit_indices(labels: np.ndarray, names: list[str], fraction: float) -> np.ndarray:
    """ConViT: per class (sorted), the first floor(fraction * n_c) items in sorted name order."""
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        order = sorted(idx.tolist(), key=lambda i: (names[i], i))
        keep.extend(order[: int(np.floor(fraction * idx.size))])
    return np.sort(np.asarray(keep, dtype=np.int64))


def index_hash(index: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(index, dtype="<i8").tobytes()).hexdigest()


def subset_indices(train: Any, fraction: float, rule: str, seed: int) -> np.ndarray:
    if rule == "convit":
        return convit_indices(train.y, train.sort_keys, fraction)
    return balanced_indices(train.y, fraction, seed)


def subset_name(source: str, fraction: float, rule: str, seed: int, label: str | None = None) -> str:
    """File stem for an index file, e.g. ``cifar100-fine-f0.1-seed0``."""
    parts = [source] + ([label] if label else []) + [f"f{fraction:g}"] + ([f"seed{seed}"] if rule == "seeded" else [])
    return "-".join(parts)


def expected_hash(table: dict[str, Any] | None, fraction: float, source: str) -> str | None:
    """The hash the suite pins for ``fraction`` (keys may be written "0.1" or "0.10"); None if no table."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise BenchError(f'data option subset_sha256 must be a table such as {{ "0.1" = "<sha256>" }}, got {table!r}')
    for key, value in table.items():
        try:
            if float(key) == fraction:
                return str(value)
        except ValueError:
            raise BenchError(f'subset_sha256 key {key!r} is not a fraction; write e.g. "0.1"') from None
    raise BenchError(
        f"subset_sha256 has no hash for fraction {fraction:g} (has: {', '.join(table) or 'none'}); "
        f"run `prs-bench data check {source} --fraction {fraction:g}` and add its hash"
    )


def apply_fraction(
    bundle: DataBundle, fraction: float, seed: int = 0, rule: str = "seeded", expect: str | None = None
) -> DataBundle:
    """Keep a class-balanced fraction of the training split; check its hash against ``expect``."""
    source = bundle.meta.get("source", "?")
    if not hasattr(bundle.train, "take"):
        raise BenchError(
            f"{source}: subsets need the whole file list, which streamed data do not have; "
            f"set streaming = false in the data table (a full local copy) or use imagenet-folder"
        )
    index = subset_indices(bundle.train, fraction, rule, seed)
    if index.size == 0:
        raise BenchError(
            f"{source}: fraction {fraction:g} of {len(bundle.train)} training images keeps none "
            f"(floor(fraction x images per class) is 0); use a larger fraction or more data"
        )
    digest = index_hash(index)
    if expect is not None and expect != digest:
        raise BenchError(
            f"{source}: the fraction-{fraction:g} subset has sha256 {digest[:16]}..., but the suite pins "
            f"{str(expect)[:16]}...; the training data differ from the suite's (other files or "
            f"labels); check with `prs-bench data check {source} --fraction {fraction:g}`"
        )
    meta = dict(
        bundle.meta,
        fraction=fraction,
        full_train_size=len(bundle.train),
        train_size=int(index.size),
        subset_rule=rule,
        subset_sha256=digest,
    )
    if rule == "seeded":
        meta["subset_seed"] = seed
    return DataBundle(bundle.train.take(index), bundle.test, bundle.num_classes, meta)


def write_index_file(folder: Path, name: str, index: np.ndarray, header: dict[str, Any]) -> Path:
    """Write ``folder/name.txt``: '# key: value' header lines, then one index per line."""
    lines = [f"# {k}: {v}" for k, v in header.items()] + [str(int(i)) for i in index]
    path = folder / f"{name}.txt"
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
    return path


def read_index_file(path: Path) -> np.ndarray:
    try:
        rows = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        return np.asarray([int(r) for r in rows], dtype=np.int64)
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path}: not a subset index file (one integer per line) ({exc})") from None
