"""The run record as a type: one ``RunRecord`` per training run, read from and written to JSON.

``to_dict()`` and ``from_dict()`` are the only translation between the type and the JSON on disk
(schema 1, ``run_record.schema.json``). A record read from disk writes back unchanged: optional
keys the file did not have stay absent, keys this version does not know are kept verbatim, so
the digest of an old record still matches.

Values are looked up one explicit way (``value``): a plain name is a metric (``metrics[NAME]``,
see ``metrics.py``), a dotted path is an analysis result (``analysis``, e.g.
``fourier.hf_delta.3``, list items by index).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import BenchError
from ..suite.plan import RunSpec, run_id

SCHEMA = 1
IDENTITY = ("suite", "version", "tier", "arm", "data_label", "seed")


class TrainOutcome(Protocol):
    """What ``make_record`` needs from the training core's result (``bench.train.TrainResult``;
    records sit below the core, so they name its shape instead of importing it)."""

    status: str
    error: str | None
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    events: list[dict[str, Any]]
    model_stats: dict[str, Any] | None


@dataclass(frozen=True)
class RunRecord:
    """One run of one suite/version/tier/arm/data/seed: its identity, config, outcome and provenance."""

    suite: str
    version: int
    tier: str
    arm: str
    seed: int
    data_label: str
    status: str  # "complete" or "failed"
    config: dict[str, Any]  # the resolved config (RunSpec.config)
    config_hash: str
    metrics: dict[str, Any]  # final numbers by name (metrics.py): test_acc, test_acc_best, ...
    history: list[dict[str, Any]]  # one entry per epoch
    provenance: dict[str, Any]  # device_name, packages, git, ...
    schema: int = SCHEMA
    error: str | None = None  # why a failed run failed
    data: dict[str, Any] = field(default_factory=dict)  # the data bundle's meta (sizes, index hash, ...)
    events: list[dict[str, Any]] = field(default_factory=list)  # switches and other events
    model_stats: dict[str, Any] | None = None  # params/gflops before the first and after the last switch
    runtime: dict[str, Any] | None = None  # device_type, precision, compile, world_size
    wall_time_s: float | None = None
    created: str | None = None  # UTC ISO time the record was made
    analysis: dict[str, Any] | None = None  # post-training analysis (``fourier``) when the tier asks
    digest: str | None = None  # sha256 of the canonical JSON without it; the store sets it on write
    # keys the JSON had that this version does not know, written back as they were
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # optional keys the JSON did not have: left out again by to_dict() while still unset
    omitted: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    # ---- identity -------------------------------------------------------------------------
    @property
    def key(self) -> tuple[str, int, str, str, str, int]:
        return (self.suite, self.version, self.tier, self.arm, self.data_label, self.seed)

    @property
    def run_id(self) -> str:
        return run_id(*self.key)

    @property
    def relpath(self) -> str:
        """Where this record lives under results/runs/."""
        return f"{self.run_id}.json"

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    # ---- what checks and tables read -------------------------------------------------------
    @property
    def device_name(self) -> str:
        return str(self.provenance.get("device_name", "?"))

    @property
    def device_label(self) -> str:
        """The device name plus the runtime (precision, compile, ranks) when the record has one:
        records that differ in either are never pooled (a bf16 and an fp32 run are different measurements)."""
        rt = self.runtime
        if not rt:
            return self.device_name
        mode = "compiled" if rt.get("compile") else "eager"
        return f"{self.device_name} [{rt.get('precision')}, {mode}, {rt.get('world_size')} rank(s)]"

    @property
    def fraction(self) -> float:
        return float(self.config["data"].get("fraction", 1.0))

    def metric(self, name: str) -> Any:
        """``metrics[name]`` (a metric name from metrics.py), or None when the record has none."""
        return self.metrics.get(name)

    def value(self, name: str) -> Any:
        """What a check's ``metric`` key names: a plain name is a metric (``metrics[name]``), a dotted
        path an analysis result (``analysis``, e.g. ``fourier.hf_delta.3``). None when absent."""
        return lookup(self.metrics, self.analysis, name)

    # ---- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data (the shape of run_record.schema.json)."""
        out: dict[str, Any] = dict(self.extra)
        for f in _FIELDS:
            v = getattr(self, f.name)
            if f.name in self.omitted and v == _default(f):
                continue
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunRecord:
        """A record from its JSON data; BenchError naming the first missing key."""
        missing = [f.name for f in _FIELDS if f.name in _REQUIRED and f.name not in d]
        if missing:
            who = "/".join(str(d.get(k, "?")) for k in IDENTITY)
            raise BenchError(f"run record {who}: lacks {missing[0]!r}; it is not a prs-bench run record")
        known = {f.name for f in _FIELDS}
        return cls(
            **{k: v for k, v in d.items() if k in known},
            extra={k: v for k, v in d.items() if k not in known},
            omitted=frozenset(f.name for f in _FIELDS if f.name not in _REQUIRED and f.name not in d),
        )

    def with_analysis(self, analysis: dict[str, Any]) -> RunRecord:
        return dataclasses.replace(self, analysis=analysis)


_FIELDS = [f for f in dataclasses.fields(RunRecord) if f.name not in ("extra", "omitted")]
_REQUIRED = {f.name for f in _FIELDS if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


def lookup(metrics: dict[str, Any], analysis: dict[str, Any] | None, name: str) -> Any:
    """``RunRecord.value`` on the parts of a record a reference run keeps (metrics, analysis)."""
    if "." not in name:
        return metrics.get(name)
    node: Any = analysis or {}
    for part in name.split("."):
        if isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _default(f: dataclasses.Field[Any]) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def make_record(
    spec: RunSpec,
    result: TrainOutcome,
    provenance: dict[str, Any],
    wall_time_s: float,
    data_meta: dict[str, Any],
    runtime: dict[str, Any] | None = None,
) -> RunRecord:
    """The record of one finished (or failed) run; ``analysis`` is added later when the tier asks."""
    return RunRecord(
        suite=spec.suite,
        version=spec.version,
        tier=spec.tier,
        arm=spec.arm,
        seed=spec.seed,
        data_label=spec.data_label,
        status=result.status,
        error=result.error,
        config=spec.config,
        config_hash=spec.config_hash,
        data=data_meta,
        metrics=result.metrics,
        history=result.history,
        events=result.events,
        model_stats=result.model_stats,
        provenance=provenance,
        runtime=runtime,
        wall_time_s=round(wall_time_s, 3),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        omitted=frozenset({"analysis", "digest"}),
    )
