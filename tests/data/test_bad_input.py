"""Every bad input is one BenchError line saying what was expected where, and how to get it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bench.data import load_data
from bench.data.hub import explain_hub_error
from bench.errors import BenchError

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def _err(spec) -> str:
    with pytest.raises(BenchError) as info:
        load_data(spec)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def py(root, **kw):
    return {"source": "cifar100-python", "root": str(root), "verify_sizes": False, **kw}


def test_missing_cifar_pickles_name_the_download(tmp_path):
    msg = _err({"source": "cifar100-python"})  # default root: $PRS_BENCH_DATA, empty here
    assert "no CIFAR-100 python folder at" in msg and f"curl -L {URL} | tar xz -C" in msg
    assert "download = true" in msg


def test_wrong_pickle_layout(pickle_root):
    (pickle_root / "cifar-100-python" / "meta").unlink()
    msg = _err(py(pickle_root))
    assert "cifar-100-python has train, test but not meta; expected the files train, test, meta of" in msg


def test_truncated_pickle(pickle_root):
    f = pickle_root / "cifar-100-python" / "train"
    f.write_bytes(f.read_bytes()[:1000])
    assert "train: truncated or corrupt CIFAR-100 pickle" in _err(py(pickle_root))


def test_pickle_without_the_real_keys(pickle_root, tmp_path):
    import pickle

    f = pickle_root / "cifar-100-python" / "test"
    obj = pickle.loads(f.read_bytes(), encoding="bytes")
    obj[b"labels"] = obj.pop(b"fine_labels")  # CIFAR-10's key
    f.write_bytes(pickle.dumps(obj, protocol=2))
    assert "missing key 'fine_labels' (found: batch_label, coarse_labels, data, filenames, labels)" in _err(
        py(pickle_root)
    )


def test_labels_out_of_range(tmp_path, fx, cifar):
    fx.write_pickles(tmp_path, cifar, fine_override=np.where(cifar.train_fine == 0, 100, cifar.train_fine))
    assert "train fine labels span 1..100, expected 0..99" in _err(py(tmp_path))


def test_parquet_missing_layout_truncated_and_wrong_columns(tmp_path, parquet_root):
    assert "cifar100-parquet: folder" in _err({"source": "cifar100-parquet"})
    assert "huggingface-cli download uoft-cs/cifar100" in _err({"source": "cifar100-parquet"})
    (tmp_path / "empty").mkdir()
    msg = _err({"source": "cifar100-parquet", "root": str(tmp_path / "empty")})
    assert "no train-*.parquet file under" in msg and "wrong layout" in msg
    spec = {"source": "cifar100-parquet", "root": str(parquet_root), "verify_sizes": False}
    f = parquet_root / "cifar100" / "test-00000-of-00001.parquet"
    good = f.read_bytes()
    f.write_bytes(good[: len(good) // 2])
    assert "test-00000-of-00001.parquet: truncated or corrupt parquet file" in _err(spec)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"image": [b"x"], "label": [1]}), f)
    assert "missing column(s) img, fine_label, coarse_label" in _err(spec)


def test_imagenet_layout_errors(tmp_path, fx):
    assert "imagenet-folder: folder" in _err({"source": "imagenet-folder", "root": str(tmp_path / "none")})
    tree = fx.write_image_folder(tmp_path / "in")
    assert "has 3 class folders, expected 1000" in _err({"source": "imagenet-folder", "root": str(tree)})
    spec = {"source": "imagenet-folder", "root": str(tree), "num_classes": 3}
    for f in list((tree / "val" / "n001").iterdir()):
        f.rename(tree / "val" / f.name)  # the raw ILSVRC val archive is flat
    (tree / "val" / "n001").rmdir()
    msg = _err(spec)
    assert "holds 2 image(s) directly" in msg and "valprep.sh" in msg
    import shutil

    shutil.rmtree(tree / "val")
    assert f"folder {tree / 'val'} not found" in _err(spec) and "image-net.org" in _err(spec)


def test_bad_options_and_names(pickle_root):
    assert "has no option 'rot'" in _err({"source": "cifar100-python", "rot": "x"})
    assert "unknown data source 'cifar10'; choose one of: cifar100," in _err({"source": "cifar10"})
    assert "label 'medium' is not one of: fine, coarse" in _err(py(pickle_root, label="medium"))


def test_num_classes_must_match_the_label_kind(pickle_root):
    assert "num_classes = 10 but CIFAR-100 fine labels have 100" in _err(py(pickle_root, num_classes=10))


def test_gated_hub_error_says_how_to_log_in():
    msg = explain_hub_error(OSError("401 Client Error: this dataset is gated"), "ILSVRC/imagenet-1k", gated=True)
    assert "huggingface-cli login" in msg and "https://huggingface.co/datasets/ILSVRC/imagenet-1k" in msg


def test_offline_hub_without_cache_is_one_line_exit_2(tmp_path):
    """Offline variables are read when ``datasets`` is imported, hence a fresh process."""
    env = dict(
        os.environ,
        HF_HOME=str(tmp_path / "hf"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        PRS_BENCH_CACHE=str(tmp_path / "c"),
    )
    env.pop("HF_DATASETS_CACHE", None)
    r = subprocess.run(
        [sys.executable, "-m", "bench.cli", "data", "check", "cifar100"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "uoft-cs/cifar100 is not in the local Hugging Face cache and offline mode is on" in lines[0]
    assert "datasets.load_dataset('uoft-cs/cifar100')" in lines[0]
