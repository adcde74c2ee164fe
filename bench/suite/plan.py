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

    @classmethod
    def adhoc(cls, config: dict[str, Any], seed: int, *, config_hash: str | None = None) -> RunSpec:
        """A run outside any suite (perf, gpu-check, tests): suite and tier "adhoc", version 0, the
        model's name as the arm; the hash defaults to the config's content hash."""
        label = data_label(config["data"]) if "data" in config else "adhoc"
        h = config_hash if config_hash is not None else content_hash(config)
        return cls("adhoc", 0, "adhoc", config["model"]["name"], seed, label, config, h)

    @property
    def key(self) -> tuple[str, int, str, str, str, int]:
        return (self.suite, self.version, self.tier, self.arm, self.data_label, self.seed)

    @property
    def relpath(self) -> str:
        return f"{self.run_id}.json"

    @property
    def run_id(self) -> str:
        return run_id(*self.key)


def run_id(suite: str, version: int, tier: str, arm: str, data_label: str, seed: int) -> str:
    """The one spelling of a run's identity: its record's path under results/runs/ without ``.json``."""
    return f"{suite}/v{version}/{tier}/{arm}/{data_label}/seed{seed}"


def data_label(data: dict[str, Any]) -> str:
    return f"{data['source']}-f{data.get('fraction', 1.0):g}"


def config_hash(suite: Suite, config: dict[str, Any]) -> str:
    return content_hash({"suite": suite.name, "version": suite.version, "config": config})


MAX_SEED_COUNT = 100
MAX_SEED = 2**31 - 1  # seeds feed torch.manual_seed(seed * 1_000_003 + epoch) and numpy; keep them well inside 64 bits


def parse_seeds(default: list[int], *, count: str | None = None, listed: str | None = None) -> list[int]:
    """The seeds to run: the tier's (``default``) unless ``count`` or ``listed`` is given.

    ``count`` "3" means seeds 0, 1, 2 (every shipped tier lists seeds from 0, so this is the first
    three of the tier's, and it may go beyond the tier's list); ``listed`` "0,4" means exactly
    seeds 0 and 4. Anything else is a one-line BenchError.
    """
    if count is not None and listed is not None:
        raise BenchError(
            "--seeds and --seed-list do not combine: --seeds N runs seeds 0..N-1, --seed-list 0,4 runs exactly those"
        )
    if count is not None:
        n = int(count) if count.strip().isascii() and count.strip().isdigit() else 0
        if not 1 <= n <= MAX_SEED_COUNT:
            raise BenchError(
                f"--seeds {count!r}: give how many seeds to run, 1 to {MAX_SEED_COUNT} "
                f"(runs seeds 0..N-1); for exact seeds use --seed-list, e.g. --seed-list 0,4"
            )
        return list(range(n))
    if listed is not None:
        parts = [x.strip() for x in listed.split(",")]
        if not all(x.isascii() and x.isdigit() and int(x) <= MAX_SEED for x in parts):
            raise BenchError(
                f"--seed-list {listed!r}: give seeds separated by commas, each 0 to {MAX_SEED}, e.g. --seed-list 0,4"
            )
        seeds = [int(x) for x in parts]
        if len(set(seeds)) != len(seeds):
            raise BenchError(f"--seed-list {listed!r}: seeds repeat")
        if len(seeds) > MAX_SEED_COUNT:
            raise BenchError(f"--seed-list {listed!r}: at most {MAX_SEED_COUNT} seeds")
        return seeds
    return list(default)


def plan_runs(suite: Suite, tier: str, seeds: list[int] | None = None, arms: list[str] | None = None) -> list[RunSpec]:
    seeds = list(suite.tier(tier)["seeds"]) if seeds is None else seeds
    chosen = suite.tier_arms(tier)
    if arms:
        unknown = [a for a in arms if a not in chosen]
        if unknown:
            raise BenchError(f"suite {suite.name!r} tier {tier!r} has no arm {unknown[0]!r}; arms: {', '.join(chosen)}")
        chosen = [a for a in chosen if a in arms]
    runs = []
    for arm in chosen:
        for fraction in suite.arm_fractions(arm, tier):
            cfg = suite.resolve(arm, tier, fraction)
            h = config_hash(suite, cfg)
            for seed in seeds:
                runs.append(RunSpec(suite.name, suite.version, tier, arm, seed, data_label(cfg["data"]), cfg, h))
    return runs
