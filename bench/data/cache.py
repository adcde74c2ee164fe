"""Decode-once cache of uint8 arrays, keyed by the identity of the source files.

Layout: ``$PRS_BENCH_CACHE/data/<source>/<key[:20]>/{train,test}_x.npy, {train,test}_y_<label>.npy,
meta.json``. Every file is written to a temporary name and moved into place with ``os.replace``;
``meta.json`` is written last, so a folder without it is an interrupted build and is rebuilt.

The key is sha256 over the source name, ``CACHE_VERSION`` and a fingerprint of the source files
(``fingerprint_files``): files up to ``CONTENT_HASH_LIMIT`` are hashed by content (CIFAR-100 is
~160 MB, hashed in well under a second), larger ones by name, size and mtime_ns. Content hashing
means a replaced or re-downloaded file with the same size and timestamp still invalidates the cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..records.atomic import atomic_write_bytes, atomic_write_json
from .types import ImageArrays

CACHE_VERSION = 2  # 2: meta.json holds each array file's sha256, checked on every read
CONTENT_HASH_LIMIT = 512 * 2**20  # bytes; bigger files are fingerprinted by size + mtime
_CHUNK = 8 * 2**20


def cache_root() -> Path:
    """``$PRS_BENCH_CACHE`` or ``~/.cache/prs-bench``."""
    env = os.environ.get("PRS_BENCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "prs-bench"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def fingerprint_files(paths: Iterable[Path], base: Path | None = None) -> str:
    """sha256 over (relative name, size, content hash or mtime_ns) of each file, in sorted order."""
    rows = []
    for p in sorted(Path(x) for x in paths):
        st = p.stat()
        name = str(p.relative_to(base)) if base is not None else p.name
        ident = file_digest(p) if st.st_size <= CONTENT_HASH_LIMIT else f"mtime:{st.st_mtime_ns}"
        rows.append([name, st.st_size, ident])
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def cache_key(source: str, fingerprint: str) -> str:
    return hashlib.sha256(json.dumps([source, CACHE_VERSION, fingerprint]).encode()).hexdigest()


@dataclass
class Decoded:
    """What a decoder returns: both splits' images, every label kind, and class names."""

    train_x: np.ndarray
    test_x: np.ndarray
    train_labels: dict[str, np.ndarray]  # label kind ("fine", "coarse") -> int64 labels
    test_labels: dict[str, np.ndarray]
    class_names: dict[str, list[str]]


@dataclass
class CacheEntry:
    decoded: Decoded
    key: str
    folder: Path
    state: str  # "hit" (read from the cache) or "built" (decoded now and stored)


def _save_npy(path: Path, arr: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    data = buf.getvalue()
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def _write(folder: Path, d: Decoded) -> None:
    arrays = {"train_x": d.train_x, "test_x": d.test_x}
    for kind in d.train_labels:
        arrays[f"train_y_{kind}"], arrays[f"test_y_{kind}"] = d.train_labels[kind], d.test_labels[kind]
    files = {f"{name}.npy": _save_npy(folder / f"{name}.npy", arr) for name, arr in arrays.items()}
    atomic_write_json(
        folder / "meta.json",
        {
            "version": CACHE_VERSION,
            "labels": sorted(d.train_labels),
            "class_names": d.class_names,
            "train_size": int(d.train_x.shape[0]),
            "test_size": int(d.test_x.shape[0]),
            "sha256": files,
        },
    )


def _read(folder: Path) -> Decoded | None:
    """The cached arrays, or None when the folder is incomplete or inconsistent (then it is rebuilt)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("version") != CACHE_VERSION:
            return None
        for name, digest in meta["sha256"].items():  # a flipped byte is caught here, not blamed on the source
            if file_digest(folder / name) != digest:
                return None
        load = lambda name: np.load(folder / f"{name}.npy", allow_pickle=False)  # noqa: E731
        d = Decoded(
            load("train_x"),
            load("test_x"),
            {k: load(f"train_y_{k}") for k in meta["labels"]},
            {k: load(f"test_y_{k}") for k in meta["labels"]},
            meta["class_names"],
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError):
        return None
    ok = d.train_x.shape[0] == meta["train_size"] and d.test_x.shape[0] == meta["test_size"]
    ok = ok and all(v.shape == (meta["train_size"],) for v in d.train_labels.values())
    ok = ok and all(v.shape == (meta["test_size"],) for v in d.test_labels.values())
    return d if ok else None


def cached_decode(source: str, fingerprint: str, decode: Callable[[], Decoded]) -> CacheEntry:
    """Return the cached arrays for (source, fingerprint), decoding and storing them on a miss."""
    key = cache_key(source, fingerprint)
    folder = cache_root() / "data" / source / key[:20]
    if (folder / "meta.json").is_file():
        hit = _read(folder)
        if hit is not None:
            return CacheEntry(hit, key, folder, "hit")
        print(f"prs-bench: cache {folder} is damaged; decoding again", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)
    decoded = decode()
    try:
        _write(folder, decoded)
    except OSError as exc:  # a read-only or full cache disk must not stop a run
        print(f"prs-bench: could not write the data cache {folder}: {exc}", file=sys.stderr)
    return CacheEntry(decoded, key, folder, "built")


def split_arrays(d: Decoded, label: str) -> tuple[ImageArrays, ImageArrays]:
    return ImageArrays(d.train_x, d.train_labels[label]), ImageArrays(d.test_x, d.test_labels[label])
