"""Planned runs: one RunSpec per (arm, data fraction, seed) of a suite tier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BenchError
from .hashing import content_hash
from .load import Suite


@dataclass(frozen=True)
class RunSpec:
    suite: str
    version: int
    tier: str
    arm: str
    seed: int
    data_label: str
    config: dict[str, Any]
    config_hash: str

    @property
    def key(self) -> tuple[str, int, str, str, str, int]:
        return (self.suite, self.version, self.tier, self.arm, self.data_label, self.seed)

    @property
    def relpath(self) -> str:
        return f"{self.suite}/v{self.version}/{self.tier}/{self.arm}/{self.data_label}/seed{self.seed}.json"

    @property
    def run_id(self) -> str:
        return f"{self.suite}/v{self.version}/{self.tier}/{self.arm}/{self.data_label}/seed{self.seed}"


def data_label(data: dict[str, Any]) -> str:
    return f"{data['source']}-f{data.get('fraction', 1.0):g}"


def config_hash(suite: Suite, config: dict[str, Any]) -> str:
    return content_hash({"suite": suite.name, "version": suite.version, "config": config})


def parse_seeds(text: str | None, default: list[int]) -> list[int]:
    """``None`` keeps the tier's seeds; ``"3"`` means the first 3 seeds 0..2; ``"0,4"`` a list."""
    if text is None:
        return list(default)
    try:
        if "," in text:
            seeds = [int(s) for s in text.split(",") if s.strip()]
        else:
            n = int(text)
            if n < 1:
                raise ValueError
            seeds = list(range(n))
    except ValueError:
        raise BenchError(f"--seeds {text!r}: give a count such as 3 or a list such as 0,1,2") from None
    if len(set(seeds)) != len(seeds):
        raise BenchError(f"--seeds {text!r}: seeds repeat")
    return seeds


def plan_runs(suite: Suite, tier: str, seeds: list[int] | None = None,
              arms: list[str] | None = None) -> list[RunSpec]:
    t = suite.tier(tier)
    seeds = list(t["seeds"]) if seeds is None else seeds
    chosen = suite.tier_arms(tier)
    if arms:
        unknown = [a for a in arms if a not in chosen]
        if unknown:
            raise BenchError(f"suite {suite.name!r} tier {tier!r} has no arm {unknown[0]!r}; arms: {', '.join(chosen)}")
        chosen = [a for a in chosen if a in arms]
    runs = []
    for arm in chosen:
        for fraction in t.get("fractions", [1.0]):
            cfg = suite.resolve(arm, tier, fraction)
            h = config_hash(suite, cfg)
            for seed in seeds:
                runs.append(RunSpec(suite.name, suite.version, tier, arm, seed, data_label(cfg["data"]), cfg, h))
    return runs
