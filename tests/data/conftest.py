"""Every data test gets its own cache folder and a default data root that holds nothing."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PRS_BENCH_CACHE", str(tmp_path / "prs-cache"))
    monkeypatch.setenv("PRS_BENCH_DATA", str(tmp_path / "no-data"))


def _load_fixtures():
    import importlib.util
    import sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("prs_data_fixtures", Path(__file__).with_name("fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


FX = _load_fixtures()


@pytest.fixture
def fx():
    """The fixture writers in fixtures.py (tests cannot import siblings under --import-mode=importlib)."""
    return FX


@pytest.fixture
def cifar(fx):
    return fx.tiny_cifar()


@pytest.fixture
def pickle_root(tmp_path, fx, cifar):
    fx.write_pickles(tmp_path / "py", cifar)
    return tmp_path / "py"


@pytest.fixture
def parquet_root(tmp_path, fx, cifar):
    return fx.write_parquet(tmp_path / "pq", cifar)
