"""Data faults that used to end in a traceback, a misleading message or a silent nan: each is now
one line naming the file or option (or, for Python-3 pickles and plain-binary parquet, accepted)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from bench.data import load_data
from bench.errors import BenchError


def _err(spec) -> str:
    with pytest.raises(BenchError) as info:
        load_data(spec)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def py(root, **kw):
    return {"source": "cifar100-python", "root": str(root), "verify_sizes": False, **kw}


def _rewrite(path, edit) -> None:
    obj = pickle.loads(path.read_bytes(), encoding="bytes")
    path.write_bytes(pickle.dumps(edit(obj), protocol=2))


def test_python3_pickles_with_str_keys_are_accepted(pickle_root, cifar):
    folder = pickle_root / "cifar-100-python"
    for name in ("train", "test", "meta"):
        _rewrite(folder / name, lambda o: {k.decode(): v for k, v in o.items()})
    b = load_data(py(pickle_root))
    assert np.array_equal(b.train.y, cifar.train_fine) and b.meta["class_names"][0] == "fine00"


@pytest.mark.parametrize("labels, kind", [(["a"] * 60, "str"), ([None] * 60, "NoneType"), ([[1, 2]] * 60, "list")])
def test_pickle_labels_that_are_not_integers(pickle_root, labels, kind):
    _rewrite(pickle_root / "cifar-100-python" / "train", lambda o: {**o, b"fine_labels": labels})
    msg = _err(py(pickle_root))
    assert "train: fine_labels: labels must be a flat list of integers" in msg and f"found {kind}" in msg


def test_pickle_naming_a_missing_module(pickle_root):
    f = pickle_root / "cifar-100-python" / "train"
    f.write_bytes(b"\x80\x02cno_such_module_xyz\nThing\nq\x00)\x81q\x01.")
    assert "train: truncated or corrupt CIFAR-100 pickle (ModuleNotFoundError)" in _err(py(pickle_root))


def test_parquet_string_labels_and_plain_binary_images(parquet_root):
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = {"source": "cifar100-parquet", "root": str(parquet_root), "verify_sizes": False}
    f = parquet_root / "cifar100" / "test-00000-of-00001.parquet"
    t = pq.read_table(f)
    plain = t.set_column(0, "img", pa.array(t.column("img").combine_chunks().field("bytes").to_pylist(), pa.binary()))
    pq.write_table(plain, f)
    assert len(load_data(spec).test) == len(t)  # encoded image bytes without the struct are read as well
    pq.write_table(plain.set_column(1, "fine_label", pa.array([str(v) for v in t.column("fine_label").to_pylist()])), f)
    assert "column 'fine_label' is string, expected integer class ids" in _err(spec)
    pq.write_table(plain.set_column(0, "img", pa.array([1] * len(t))), f)
    assert "column 'img' is int64, expected images" in _err(spec)


def test_corrupt_decode_cache_is_verified_and_rebuilt(pickle_root, tmp_path, capsys):
    first = load_data(py(pickle_root))
    cache = next((tmp_path / "prs-cache").rglob("train_y_fine.npy"))
    raw = bytearray(cache.read_bytes())
    raw[-1] ^= 0xFF  # one flipped byte in the cached labels
    cache.write_bytes(bytes(raw))
    again = load_data(py(pickle_root))
    assert again.meta["cache"] == "built" and "is damaged; decoding again" in capsys.readouterr().err
    assert np.array_equal(again.train.y, first.train.y)


@pytest.mark.parametrize(
    "spec, needle",
    [
        ({"source": "synthetic", "n_trian": 5}, "data source 'synthetic' has no option 'n_trian'"),
        ({"source": "synthetic", "n_train": 0}, "option n_train = 0 must be an integer in 10..10000000"),
        ({"source": "synthetic", "n_test": 0}, "option n_test = 0 must be an integer in 10..10000000"),
        ({"source": "synthetic", "num_classes": 1}, "option num_classes = 1 must be an integer in 2..1000"),
        ({"source": "synthetic", "n_train": 20, "fraction": 0.001}, "fraction 0.001 of 20 training images keeps none"),
        ({"source": "synthetic", "subset_seed": -1, "fraction": 0.5}, "option subset_seed = -1 must be an integer"),
        ({"source": "synthetic", "fraction": 0.0}, "data fraction 0.0 is outside (0, 1]"),
    ],
)
def test_synthetic_options_are_checked(spec, needle):
    assert needle in _err(spec)


def test_image_size_must_be_positive():
    from bench.data.imagenet import build_transform

    with pytest.raises(BenchError, match=r"image_size = 0: must be an integer in 8\.\.4096"):
        build_transform(0, True, "rrc")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_corrupt_jpeg_is_one_line_whatever_the_worker_count(tmp_path, fx, workers):
    """Through the training feed's DataLoader: the worker's traceback never reaches the user."""
    import torch

    from bench.train.distributed import DistInfo
    from bench.train.feed import make_feed

    root = fx.write_image_folder(tmp_path / "inet")
    bad = sorted((root / "train" / "n002").iterdir())[0]
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    b = load_data({"source": "imagenet-folder", "root": str(root), "num_classes": 3, "image_size": 32})
    feed = make_feed(b.train, torch.device("cpu"), 0, 4, DistInfo(), workers)
    with pytest.raises(BenchError) as info:
        for _ in feed.train_batches(0, 0, 4, 0, DistInfo()):
            pass
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{bad}: not a decodable image")
