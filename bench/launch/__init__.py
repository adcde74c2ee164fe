"""Spreading a suite's runs over machines: deterministic shards and a SLURM launcher (submitit)."""

from .shard import parse_shard, select_shard, shard_of

__all__ = ["parse_shard", "select_shard", "shard_of"]
