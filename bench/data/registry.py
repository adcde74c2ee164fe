"""Data sources by name; ``load_data`` turns a resolved ``data`` config into a DataBundle."""

from __future__ import annotations

from typing import Any, Callable

from ..errors import BenchError
from ..registry import Registry
from .synthetic import make_synthetic
from .types import DataBundle

SOURCES: Registry[Callable[..., DataBundle]] = Registry("data source")


@SOURCES.register("synthetic")
def _synthetic(num_classes: int = 10, n_train: int = 2000, n_test: int = 1000, generator_seed: int = 0,
               **_: Any) -> DataBundle:
    return make_synthetic(num_classes, n_train, n_test, generator_seed)


def load_data(spec: dict[str, Any]) -> DataBundle:
    """Build the bundle for ``spec`` (``source``, ``fraction`` and source options)."""
    spec = dict(spec)
    source = spec.pop("source")
    fraction = float(spec.pop("fraction", 1.0))
    if not 0.0 < fraction <= 1.0:
        raise BenchError(f"data fraction {fraction} is outside (0, 1]; use e.g. 0.1 for 10% of the training set")
    bundle = SOURCES.get(source)(**spec)
    if fraction < 1.0:
        from .subsets import apply_fraction  # deferred: only data-scale runs need it

        bundle = apply_fraction(bundle, fraction, seed=int(spec.get("subset_seed", 0)))
    bundle.meta.setdefault("fraction", fraction)
    return bundle
