"""``--shard K/N`` is a disjoint, complete, stable split; the submitit launcher runs the shards."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.launch import parse_shard, select_shard, shard_of
from bench.records import RecordStore


@dataclass(frozen=True)
class Spec:
    run_id: str


IDS = [Spec(f"suite{s}/v1/smoke/arm{a}/synthetic-f{f}/seed{seed}")
       for s in range(3) for a in range(4) for f in (0.5, 1) for seed in range(5)]


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
    assert shard_of("suite0/v1/smoke/arm0/synthetic-f1/seed0", 4) == 4   # pinned: changing the hash reshuffles CI


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "2", ""])
def test_bad_shard_is_one_line(text: str) -> None:
    with pytest.raises(BenchError, match="--shard"):
        parse_shard(text)


def test_cli_shards_partition_the_plan(suites_dir: Path, capsys: pytest.CaptureFixture) -> None:
    def planned(*extra: str) -> list[str]:
        assert main(["run", "--dry-run", "--suites-dir", str(suites_dir), "--seeds", "4", *extra]) == 0
        return [line.split()[0] for line in capsys.readouterr().out.splitlines()]

    everything = planned()
    parts = [planned("--shard", f"{k}/3") for k in (1, 2, 3)]
    assert sorted(p for part in parts for p in part) == sorted(everything)


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
    code = main(["run", "tiny", "--suites-dir", str(suites), "--out", str(out), "--device", "cpu",
                 "--launcher", "local", "--jobs", "2"])
    assert code == 0
    records = RecordStore(out).all()
    assert len(records) == 4 and {r["status"] for r in records} == {"complete"}
    assert len(list((out / "submitit").glob("*_result.pkl"))) == 2
