"""The seed spread of each metric a check reads, so its calibration simulates that metric's noise.

Every rule's error rates depend on the seed standard deviation relative to its margins, floors,
tolerances and effects, and the metrics differ by orders of magnitude (top-1 in points scatters by
0.5-1 across seeds, a Fourier summary by hundredths). A spread is data:

- measured, when records of the suite tier exist (``measured``: the pooled within-cell seed sd
  over every (arm, fraction) cell with >= 2 finite values; ``python -m bench.verdicts.calibrate
  --records DIR`` simulates at it);
- else declared in the suite, for one tier (``[tiers.T.spreads."METRIC"]``: a tier whose runs
  scatter differently, such as a short CPU tier) or for all (``[spreads."METRIC"]``), with ``sd``
  (one value or [low, high]), ``unit`` (the metric's size of one effect unit in the calibration's
  stated effects) and ``source`` (where the numbers come from);
- else the default for top-1 metrics below (docs/SOURCES.md).

A check whose metric has none of the three cannot be calibrated: a one-line error names the
suite key to add.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BenchError
from ..records.view import TierView
from ..suite import Suite


@dataclass(frozen=True)
class Spread:
    metric: str
    sds: tuple[float, ...]  # seed standard deviations simulated: the ends of the range (or one value)
    unit: float  # one unit of the calibration's stated effects, in the metric's units
    source: str

    def cell(self) -> str:
        return " / ".join(f"{s:g}" for s in self.sds)


_TOP1 = "seed-to-seed spread reported for CIFAR-100 ResNets, docs/SOURCES.md; 1 unit = 1 point"
DEFAULT_SPREADS = {
    "test_acc": Spread("test_acc", (0.5, 1.0), 1.0, _TOP1),
    "test_acc_best": Spread("test_acc_best", (0.5, 1.0), 1.0, _TOP1),
}


def declared(suite: Suite, metric: str, tier: str | None = None) -> Spread:
    """The spread the suite declares for ``metric`` in ``tier`` (``[tiers.T.spreads]``), else for every
    tier (``[spreads]``), else the top-1 default."""
    spec: dict[str, Any] | None = (suite.tiers.get(tier, {}) if tier else {}).get("spreads", {}).get(metric)
    spec = spec if spec is not None else suite.raw.get("spreads", {}).get(metric)
    if spec is not None:
        sd = spec["sd"]
        sds = tuple(float(s) for s in (sd if isinstance(sd, list) else [sd]))
        return Spread(metric, sds, float(spec["unit"]), str(spec["source"]))
    if metric in DEFAULT_SPREADS:
        return DEFAULT_SPREADS[metric]
    raise BenchError(
        f'{suite.path}: no seed spread for metric {metric!r}: add [spreads."{metric}"] with sd, unit and '
        "source (measure it from records: python -m bench.verdicts.calibrate --records results)"
    )


def measured(view: TierView, metric: str, arms: list[str] | None = None) -> tuple[float, int]:
    """(pooled within-cell seed sd, number of cells) of ``metric`` in a tier's records; (NaN, 0) without any."""
    ss, dof, cells = 0.0, 0, 0
    for arm in arms or view.arms:
        for label in view.data_labels():
            vals = np.asarray([v for v in view.values(arm, label, metric) if v is not None and math.isfinite(v)])
            if vals.size >= 2:
                ss += float(vals.var(ddof=1)) * (vals.size - 1)
                dof += vals.size - 1
                cells += 1
    return (math.sqrt(ss / dof) if dof else math.nan), cells


def spread_for(
    suite: Suite, metric: str, view: TierView | None = None, arms: list[str] | None = None, tier: str | None = None
) -> Spread:
    """Measured from ``view``'s records when they hold a cell with >= 2 seeds, else ``declared`` (for
    ``tier``, or the view's tier)."""
    base = declared(suite, metric, tier or (view.tier if view is not None else None))
    if view is not None:
        sd, cells = measured(view, metric, arms)
        if cells:
            return Spread(metric, (round(sd, 4),), base.unit, f"measured: pooled seed sd over {cells} cells of records")
    return base
