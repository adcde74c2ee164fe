"""The suite-file schema as data: allowed keys and their types (checked by bench.schema.validate_table)."""

from __future__ import annotations

import re
from typing import Any

from ..schema import (  # noqa: F401  (re-exported: suite tables and their predicates live together)
    Key,
    is_fraction,
    is_int,
    is_num,
    is_pos_int,
    is_str,
    is_table,
    list_of,
    validate_table,
)
from .epoch_rule import EPOCH_RULES

# what a tier's results are (``Suite.tier_kind``): a check that the pipeline runs, whose outputs say
# they are no result (the default of a tier named smoke), or a measurement (every other tier)
TIER_KINDS = ("pipeline-check", "measurement")

MAX_SEED = 2**31 - 1  # torch, numpy and the record schema all take seeds in 0..2^31-1
MAX_EPOCHS = 100_000


def is_seed(v: Any) -> bool:
    return is_int(v) and 0 <= v <= MAX_SEED


# Suite, arm and tier names become folder names under results/: letters, digits, '_', '.', '-',
# starting with a letter or digit, never '..' (so no name can point outside the results folder).
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
NAME_RULE = "a safe name (letters, digits, '_', '.', '-'; starting with a letter or digit; no '..')"


def is_name(v: Any) -> bool:
    return isinstance(v, str) and bool(SAFE_NAME.match(v)) and ".." not in v


def table_named(v: Any) -> bool:
    """A non-empty table whose keys are safe names and whose values are tables."""
    return isinstance(v, dict) and len(v) > 0 and all(is_name(k) and isinstance(x, dict) for k, x in v.items())


# key -> (required, predicate, what the value must be)
TOP = {
    "name": (True, is_name, NAME_RULE),
    "version": (True, is_pos_int, "a positive integer"),
    "title": (True, is_str, "a non-empty string"),
    "claims": (False, list_of(is_str), "a list of claim ids such as 'C1'"),
    "description": (False, is_str, "a string"),
    "changelog": (True, lambda v: list_of(is_str)(v) and len(v) > 0, "a non-empty list of strings"),
    "default_tier": (
        False,
        is_name,
        "the tier `prs-bench run SUITE` trains when no --tier is given (default smoke): a tier of this suite",
    ),
    "recipes": (
        True,
        lambda v: is_table(v) and all(isinstance(x, dict) for x in v.values()),
        "a table of recipe tables ([recipes.NAME])",
    ),
    "arms": (True, table_named, f"a non-empty table of arm tables, each named by {NAME_RULE}"),
    "tiers": (True, table_named, f"a non-empty table of tier tables, each named by {NAME_RULE}"),
    "spreads": (
        False,
        lambda v: is_table(v) and all(isinstance(x, dict) for x in v.values()),
        'a table of metric tables ([spreads."METRIC"]: sd, unit, source)',
    ),
}
# [spreads."METRIC"]: the seed spread a check's calibration simulates (bench/verdicts/spreads.py)
SPREAD = {
    "sd": (
        True,
        lambda v: (is_num(v) and v > 0) or (list_of(lambda x: is_num(x) and x > 0)(v) and 1 <= len(v) <= 2),
        "a seed standard deviation > 0, or [low, high]",
    ),
    "unit": (True, lambda v: is_num(v) and v > 0, "one effect unit of the calibration, in the metric's units (> 0)"),
    "source": (True, is_str, "where the spread comes from (records, a paper, a project decision)"),
}
ARM = {
    "model": (True, is_str, "a registered model name"),
    "recipe": (True, is_str, "the name of a recipe in [recipes]"),
    "schedule": (False, is_table, 'a table such as { kind = "never" }'),
    "model_kwargs": (False, is_table, "a table of model keyword arguments"),
    "label": (False, is_str, "a string"),
    "bias": (False, is_str, "a string describing the inductive bias"),
    "data": (
        False,
        lambda v: is_table(v) and "source" not in v,
        "a table of data options merged over the tier's data, e.g. { label_noise = 0.25 } (not the source)",
    ),
}
TIER = {
    "description": (False, is_str, "a string"),
    "kind": (
        False,
        lambda v: v in TIER_KINDS,
        "'pipeline-check' (stand-in models, short runs: outputs say they are no result; the default of "
        "a tier named smoke) or 'measurement' (the default of every other tier)",
    ),
    "data": (True, lambda v: is_table(v) and is_str(v.get("source")), "a table with a 'source' string"),
    "epochs": (True, lambda v: is_pos_int(v) and v <= MAX_EPOCHS, f"an integer in 1..{MAX_EPOCHS}"),
    "batch_size": (True, is_pos_int, "a positive integer"),
    "seeds": (
        True,
        lambda v: list_of(is_seed)(v) and len(v) > 0 and len(set(v)) == len(v),
        f"a non-empty list of distinct integers in 0..{MAX_SEED}",
    ),
    "fractions": (False, lambda v: list_of(is_fraction)(v) and len(v) > 0, "a non-empty list of numbers in (0, 1]"),
    "arms": (False, lambda v: list_of(is_str)(v) and len(v) > 0, "a non-empty list of arm names"),
    "recipe": (False, is_table, "a table of recipe overrides"),
    "overrides": (False, is_table, "a table of per-arm overrides"),
    "checks": (False, list_of(is_table), "an array of check tables ([[tiers.NAME.checks]])"),
    "expected": (False, is_str, "a string: the expected outcome at this tier, and why"),
    "device": (False, lambda v: v in ("cpu", "cuda", "auto"), "'cpu', 'cuda' or 'auto'"),
    "epoch_rule": (
        False,
        lambda v: v in EPOCH_RULES,
        "'constant-steps' (every fraction takes the full set's steps: its epochs are the full set's "
        "length, the subset drawn pass after pass; ConViT's protocol) or 'constant-epochs' (the default)",
    ),
    "analysis": (
        False,
        lambda v: is_table(v) and set(v) <= {"fourier_images"} and is_pos_int(v.get("fourier_images", 1)),
        "a table such as { fourier_images = 256 } (Fourier analysis of the final model)",
    ),
    "spreads": (
        False,
        lambda v: is_table(v) and all(isinstance(x, dict) for x in v.values()),
        'a table of metric tables ([tiers.NAME.spreads."METRIC"]: sd, unit, source), this tier\'s seed spreads '
        "where they differ from the suite's",
    ),
}
OVERRIDE = {
    "model": (False, is_str, "a registered model name"),
    "model_kwargs": (False, is_table, "a table of model keyword arguments"),
    "schedule": (False, is_table, "a schedule table"),
    "recipe": (False, is_table, "a table of recipe overrides"),
    "fractions": (
        False,
        lambda v: list_of(is_fraction)(v) and len(v) > 0,
        "a non-empty list of the tier's fractions this arm runs at (default: all of them)",
    ),
}
