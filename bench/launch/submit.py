"""Submit one ``prs-bench run --shard K/N`` job per shard through submitit.

``slurm`` submits to a SLURM cluster (``pip install prs-bench[slurm]``); ``local`` runs each
job as a local subprocess and ``debug`` in this process: the same code path, testable anywhere.
Each job writes its records into the shared results folder; ``prs-bench leaderboard`` reads
them all once every job is done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BenchError


def _submitit() -> Any:
    try:
        import submitit
    except ImportError:
        raise BenchError("--launcher needs submitit: pip install 'prs-bench[slurm]'") from None
    return submitit


def _slurm(folder: Path, params: dict[str, Any]) -> Any:
    ex = _submitit().AutoExecutor(folder=folder, cluster="slurm")
    ex.update_parameters(**params)
    return ex


def _local(folder: Path, params: dict[str, Any]) -> Any:
    ex = _submitit().LocalExecutor(folder=folder)
    ex.update_parameters(**{"timeout_min": 24 * 60, **params})
    return ex


def _debug(folder: Path, params: dict[str, Any]) -> Any:
    return _submitit().DebugExecutor(folder=folder)


EXECUTORS: dict[str, Callable[[Path, dict[str, Any]], Any]] = {"slurm": _slurm, "local": _local, "debug": _debug}


def parse_params(text: str | None) -> dict[str, Any]:
    """``"slurm_partition=gpu,timeout_min=600,gpus_per_node=1"`` -> dict (numbers become ints)."""
    out: dict[str, Any] = {}
    for item in filter(None, (text or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BenchError(f"--launcher-params: {item!r} is not KEY=VALUE")
        out[key.strip()] = int(value) if value.strip().isdigit() else value.strip()
    return out


def submit_shards(
    argv: list[str], jobs: int, launcher: str, folder: Path, params: dict[str, Any], entry: Callable[[list[str]], int]
) -> list[Any]:
    """One job per shard 1..jobs, each calling ``entry(argv + ['--shard', 'k/jobs'])``.

    ``entry`` is the CLI's ``main`` (passed in, so this library layer does not import the CLI).
    """
    if launcher not in EXECUTORS:
        raise BenchError(f"--launcher {launcher!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise BenchError(f"--jobs {jobs}: need at least 1")
    ex = EXECUTORS[launcher](folder, params)
    return [ex.submit(entry, [*argv, "--shard", f"{k}/{jobs}"]) for k in range(1, jobs + 1)]
