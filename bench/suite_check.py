"""Semantic checks of a loaded suite: every name it uses exists, every table its consumer reads is valid.

``bench.suite`` reads suite files as plain data (TOML + the key schema) and imports nothing heavy.
This module sits above the registries and asks each one to validate its own part: data sources,
models, recipes (the training core), schedules, and check tables (each check kind, run on no
records). The CLI loads suites through ``load_checked_suites`` so a bad name fails before training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .data import SOURCES
from .data.registry import check_options as check_data_options
from .errors import BenchError
from .models import MODELS
from .models.schedules import validate_schedule
from .suite import Suite, load_suite, load_suites
from .train.recipe import Recipe
from .verdicts import CHECKS, validate_checks

ARM_KEYS = ("arm", "a", "b", "reference_arm")  # check keys that name one arm; "arms" names several


def _ask(where: str, validate: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run one registry's validation; its one-line error gets ``where`` in front."""
    try:
        validate(*args, **kwargs)
    except (BenchError, ValueError) as exc:
        raise BenchError(f"{where}: {exc}") from None


def check_arm_names(check: dict[str, Any]) -> list[str]:
    """The arm names a check table refers to."""
    arms = check.get("arms", [])
    names = [a for a in arms if isinstance(a, str)] if isinstance(arms, list) else []  # the check's own keys say more
    return names + [check[k] for k in ARM_KEYS if isinstance(check.get(k), str)]


def check_suite(suite: Suite) -> None:
    """Raise BenchError naming the file, the tier and arm or key, for the first name or table that is wrong."""
    p = suite.path
    for tier, t in suite.tiers.items():
        _ask(f"{p}: key 'tiers.{tier}.data.source'", SOURCES.get, t["data"]["source"])
        for fraction in t.get("fractions", [1.0]):
            _ask(f"{p}: key 'tiers.{tier}.data'", check_data_options, {**t["data"], "fraction": fraction})
        for arm in suite.tier_arms(tier):
            cfg = suite.resolve(arm, tier)
            at = f"{p}: arm {arm!r} at tier {tier!r}"
            _ask(at, MODELS.get, cfg["model"]["name"])
            _ask(at, Recipe.from_dict, cfg["recipe"])
            if "data" in suite.arms[arm]:
                _ask(f"{at}: key 'arms.{arm}.data'", check_data_options, cfg["data"])
            _ask(f"{at}: schedule", validate_schedule, cfg["schedule"], epochs=cfg["recipe"]["epochs"])
        for i, check in enumerate(t.get("checks", [])):
            _ask(f"{p}: key 'tiers.{tier}.checks[{i}].kind'", CHECKS.get, check.get("kind"))
            for arm in check_arm_names(check):
                if arm not in suite.arms:
                    raise BenchError(f"{p}: key 'tiers.{tier}.checks[{i}]' names unknown arm {arm!r}")
    validate_checks(suite)  # each check kind validates its own keys (run on no records)


def load_checked_suite(path: Path) -> Suite:
    suite = load_suite(path)
    check_suite(suite)
    return suite


def load_checked_suites(names: list[str] | None = None, suites_dir: Path | None = None) -> list[Suite]:
    suites = load_suites(names, suites_dir)
    for suite in suites:
        check_suite(suite)
    return suites
