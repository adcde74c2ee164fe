"""The suite-file schema as data: allowed keys and their types (checked by bench.schema.validate_table)."""

from __future__ import annotations

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

# key -> (required, predicate, what the value must be)
TOP = {
    "name": (True, is_str, "a non-empty string"),
    "version": (True, is_pos_int, "a positive integer"),
    "title": (True, is_str, "a non-empty string"),
    "claims": (False, list_of(is_str), "a list of claim ids such as 'C1'"),
    "description": (False, is_str, "a string"),
    "changelog": (True, lambda v: list_of(is_str)(v) and len(v) > 0, "a non-empty list of strings"),
    "recipes": (True, is_table, "a table of recipes"),
    "arms": (True, lambda v: is_table(v) and len(v) > 0, "a non-empty table of arms"),
    "tiers": (True, lambda v: is_table(v) and len(v) > 0, "a non-empty table of tiers"),
}
ARM = {
    "model": (True, is_str, "a registered model name"),
    "recipe": (True, is_str, "the name of a recipe in [recipes]"),
    "schedule": (False, is_table, "a table such as { kind = \"never\" }"),
    "model_kwargs": (False, is_table, "a table of model keyword arguments"),
    "label": (False, is_str, "a string"),
    "bias": (False, is_str, "a string describing the inductive bias"),
}
TIER = {
    "description": (False, is_str, "a string"),
    "data": (True, lambda v: is_table(v) and is_str(v.get("source")), "a table with a 'source' string"),
    "epochs": (True, is_pos_int, "a positive integer"),
    "batch_size": (True, is_pos_int, "a positive integer"),
    "seeds": (True, lambda v: list_of(is_int)(v) and len(v) > 0 and len(set(v)) == len(v),
              "a non-empty list of distinct integers"),
    "fractions": (False, lambda v: list_of(is_fraction)(v) and len(v) > 0, "a non-empty list of numbers in (0, 1]"),
    "arms": (False, lambda v: list_of(is_str)(v) and len(v) > 0, "a non-empty list of arm names"),
    "recipe": (False, is_table, "a table of recipe overrides"),
    "overrides": (False, is_table, "a table of per-arm overrides"),
    "checks": (False, list_of(is_table), "an array of check tables ([[tiers.NAME.checks]])"),
    "expected": (False, is_str, "a string: the expected outcome at this tier, and why"),
    "device": (False, lambda v: v in ("cpu", "cuda", "auto"), "'cpu', 'cuda' or 'auto'"),
    "analysis": (False, lambda v: is_table(v) and set(v) <= {"fourier_images"}
                 and is_pos_int(v.get("fourier_images", 1)),
                 "a table such as { fourier_images = 256 } (Fourier analysis of the final model)"),
}
OVERRIDE = {
    "model": (False, is_str, "a registered model name"),
    "model_kwargs": (False, is_table, "a table of model keyword arguments"),
    "schedule": (False, is_table, "a schedule table"),
    "recipe": (False, is_table, "a table of recipe overrides"),
}
