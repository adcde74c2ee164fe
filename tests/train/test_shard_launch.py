"""``--shard K/N`` is a disjoint, complete, stable split, balanced by estimated cost; the submitit
launcher runs the shards; ``--dry-run`` shows each run's cost and status."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.launch import parse_shard, select_shard, shard_of
from bench.launch.cost import estimate
from bench.records import RecordStore
from bench.suite import load_suites, plan_runs


@dataclass(frozen=True)
class Spec:
    run_id: str


IDS = [
    Spec(f"suite{s}/v1/smoke/arm{a}/synthetic-f{f}/seed{seed}")
    for s in range(3)
    for a in range(4)
    for f in (0.5, 1)
    for seed in range(5)
]


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_are_disjoint_and_complete(n: int) -> None:
    parts = [select_shard(IDS, k, n) for k in range(1, n + 1)]
    ids = [s.run_id for p in parts for s in p]
    assert sorted(ids) == sorted(s.run_id for s in IDS) and len(ids) == len(set(ids))
    if n > 1:
        assert all(parts), "every shard gets work at this size"


def test_shards_are_stable_under_reordering_and_additions() -> None:
    before = {s.run_id: shard_of(s.run_id, 4) for s in IDS}
    shuffled = IDS[:]
    random.Random(0).shuffle(shuffled)
    more = shuffled + [Spec(f"new/v1/smoke/arm/synthetic-f1/seed{i}") for i in range(20)]
    after = {s.run_id: k for k in range(1, 5) for s in select_shard(more, k, 4)}
    assert all(after[r] == k for r, k in before.items())
    assert shard_of("suite0/v1/smoke/arm0/synthetic-f1/seed0", 4) == 4  # pinned: changing the hash reshuffles CI


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "2", ""])
def test_bad_shard_is_one_line(text: str) -> None:
    with pytest.raises(BenchError, match="--shard"):
        parse_shard(text)


@pytest.mark.slow  # builds every quick-tier model once to count its FLOPs
def test_quick_tier_shards_are_balanced_by_cost(suites_dir: Path) -> None:
    specs = [s for suite in load_suites(None, suites_dir) if "quick" in suite.tiers for s in plan_runs(suite, "quick")]
    assert len(specs) >= 64  # 64 when the hash split gave 24/11/18/11; more arms since

    seconds = {s.run_id: estimate(s.config, "cuda", "bf16").seconds for s in specs}  # each estimate counts FLOPs once

    def cost(s: object) -> float:
        return seconds[s.run_id]  # type: ignore[attr-defined]

    parts = [select_shard(specs, k, 4, cost=cost) for k in range(1, 5)]
    ids = [s.run_id for p in parts for s in p]
    assert sorted(ids) == sorted(s.run_id for s in specs) and len(ids) == len(set(ids))
    loads = [sum(cost(s) for s in p) for p in parts]
    mean = sum(loads) / 4
    assert all(abs(x - mean) <= 0.2 * mean for x in loads), loads
    hashed = [sum(cost(s) for s in select_shard(specs, k, 4)) for k in range(1, 5)]
    assert max(abs(x - mean) for x in hashed) > max(abs(x - mean) for x in loads)  # the hash split was worse
    shuffled = specs[:]
    random.Random(1).shuffle(shuffled)  # plan order does not move a run
    assert [[s.run_id for s in select_shard(shuffled, k, 4, cost=cost)] for k in range(1, 5)] == [
        sorted((s.run_id for s in p), key=[x.run_id for x in shuffled].index) for p in parts
    ]


RUN_ID = re.compile(r"\S+/v\d+/\S+/seed\d+")


def test_cli_shards_partition_the_plan(suites_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    def planned(*extra: str) -> list[tuple[str, ...]]:
        assert (
            main(
                [
                    "run",
                    "--dry-run",
                    "--suites-dir",
                    str(suites_dir),
                    "--seeds",
                    "2",
                    "--out",
                    str(tmp_path),
                    "--device",
                    "cpu",
                    *extra,
                ]
            )
            == 0
        )
        out = capsys.readouterr().out
        assert "estimate" in out
        return [
            tuple(c.strip() for c in line.strip("|").split("|"))
            for line in out.splitlines()
            if RUN_ID.search(line.split("|")[1] if line.count("|") > 2 else "")
        ]

    everything = planned()
    assert everything and {row[5] for row in everything} == {"pending"}  # nothing ran in tmp_path
    assert all(int(row[2]) >= 1 and int(row[3].replace(",", "")) > 0 for row in everything)  # epochs, images
    parts = [planned("--shard", f"{k}/3") for k in (1, 2, 3)]
    assert sorted(r[0] for p in parts for r in p) == sorted(r[0] for r in everything)


TINY_SUITE = """
name = "tiny"
version = 1
title = "launcher test"
changelog = ["v1: test"]
[recipes.r]
optimizer = "sgd"
lr = 0.05
augment = { crop_pad = 4, flip = true }
[arms.a]
model = "resnet_tiny"
recipe = "r"
[arms.b]
model = "vit_tiny"
recipe = "r"
[tiers.smoke]
data = { source = "synthetic", num_classes = 10, n_train = 32, n_test = 16 }
epochs = 1
batch_size = 16
seeds = [0, 1]
"""


@pytest.mark.slow
def test_local_executor_runs_every_shard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("submitit")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the job processes share 2 busy cores
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "tiny.toml").write_text(TINY_SUITE)
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "tiny",
            "--suites-dir",
            str(suites),
            "--out",
            str(out),
            "--device",
            "cpu",
            "--launcher",
            "local",
            "--jobs",
            "2",
        ]
    )
    assert code == 0
    records = RecordStore(out).all()
    assert len(records) == 4 and {r.status for r in records} == {"complete"}
    assert len(list((out / "submitit").glob("*_result.pkl"))) == 2


def test_shard_jobs_get_the_command_line_as_typed() -> None:
    """Every flag the user gave reaches the shard jobs, including ones the launcher has never heard of."""
    from bench.cli.run_cmd import shard_argv

    typed = [
        "run",
        "tiny",
        "--tier",
        "quick",
        "--launcher",
        "slurm",
        "--jobs=4",
        "--some-new-flag",
        "x",
        "--launcher-params",
        "slurm_partition=gpu",
        "--no-wait",
        "--launcher-folder=/tmp/l",
        "--rerun",
    ]
    assert shard_argv(typed) == ["run", "tiny", "--tier", "quick", "--some-new-flag", "x", "--rerun"]
