"""Every test here sees the toy baselines folder as the default (suites validate on load)."""

import pytest


@pytest.fixture(autouse=True)
def _toy_baselines(baselines):
    return baselines
