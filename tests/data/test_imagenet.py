"""ImageFolder tree and hub ImageNet: same tensors for the same files, ConViT subsets."""

from __future__ import annotations

import pytest
import torch

from bench.data import load_data
from bench.errors import BenchError


@pytest.fixture
def tree(tmp_path, fx):
    return fx.write_image_folder(tmp_path / "imagenet")


def _spec(tree, **kw):
    return {
        "source": "imagenet-folder",
        "root": str(tree),
        "num_classes": 3,
        "image_size": 32,
        "train_transform": "center",
        **kw,
    }


def test_folder_lists_sorted_classes_and_files(tree):
    b = load_data(_spec(tree))
    assert (len(b.train), len(b.test), b.num_classes) == (12, 6, 3)
    assert b.train.relpaths[:4] == [f"n001/n001_{i:03d}{'.JPEG' if i % 2 == 0 else '.png'}" for i in range(4)]
    x, y = b.train[5]
    assert x.dtype == torch.uint8 and x.shape == (3, 32, 32) and y == 1
    rrc = load_data(_spec(tree, train_transform="rrc"))
    assert rrc.train[0][0].shape == (3, 32, 32) and rrc.test[0][0].shape == (3, 32, 32)


def test_convit_subset_keeps_first_sorted_files_per_class(tree):
    b = load_data(_spec(tree, fraction=0.5))
    assert b.meta["subset_rule"] == "convit" and len(b.test) == 6
    assert b.train.relpaths == [
        f"n00{c}/n00{c}_{i:03d}{'.JPEG' if i % 2 == 0 else '.png'}" for c in (1, 2, 3) for i in (0, 1)
    ]
    assert load_data(_spec(tree, fraction=0.5)).meta["subset_sha256"] == b.meta["subset_sha256"]


def test_hub_images_match_the_folder(tree, tmp_path, monkeypatch):
    """The hub path over ``datasets``' imagefolder builder yields the folder's tensors and subsets."""
    import datasets

    import bench.data.hub as hub

    def fake_hub_load(repo, *, split, streaming=False, **kw):
        return datasets.load_dataset(
            "imagefolder", data_dir=str(tree), split=split, streaming=streaming, cache_dir=str(tmp_path / "hf")
        )

    monkeypatch.setattr(hub, "hub_load", fake_hub_load)
    folder = load_data(_spec(tree, fraction=0.5))
    spec = {"source": "imagenet-hf", "num_classes": 3, "image_size": 32, "train_transform": "center"}
    hubb = load_data({**spec, "streaming": False, "fraction": 0.5})
    assert hubb.meta["subset_sha256"] is not None and len(hubb.train) == len(folder.train) == 6

    def items(ds):
        return sorted((int(y), x.numpy().tobytes()) for x, y in (ds[i] for i in range(len(ds))))

    assert items(hubb.train) == items(folder.train)
    streamed = load_data({**spec, "streaming": True})
    got = sorted((int(y), x.numpy().tobytes()) for x, y in streamed.test)
    assert got == items(load_data(_spec(tree)).test)
    with pytest.raises(BenchError, match="subsets need"):
        load_data({**spec, "streaming": True, "fraction": 0.5})


def test_corrupt_image_is_named(tree):
    bad = sorted((tree / "train" / "n002").iterdir())[0]
    bad.write_bytes(bad.read_bytes()[:40])
    b = load_data(_spec(tree))
    i = b.train.relpaths.index(f"n002/{bad.name}")
    with pytest.raises(BenchError, match=r"n002_000.JPEG: not a decodable image .* truncated or corrupt"):
        b.train[i]
