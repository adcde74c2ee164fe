"""Load a suite file (TOML), validate its keys, and resolve per-arm configs for a tier.

Plain data: this layer imports no registry. Whether the names a suite uses exist (models, data
sources, recipes, check kinds) is checked above it, in bench/suite_check.py.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BenchError
from ..paths import default_dir
from .epoch_rule import DEFAULT_RULE, apply_epoch_rule
from .schema import ARM, OVERRIDE, SPREAD, TIER, TOP, validate_table

TIER_ORDER = ("smoke", "quick", "full")
DEFAULT_TIER = "smoke"  # what `prs-bench run` trains unless a suite names its own default_tier


@dataclass(frozen=True)
class Suite:
    """A validated suite file. ``raw`` keeps the parsed TOML for reporting."""

    name: str
    version: int
    title: str
    path: Path
    claims: list[str]
    changelog: list[str]
    recipes: dict[str, dict[str, Any]]
    arms: dict[str, dict[str, Any]]
    tiers: dict[str, dict[str, Any]]
    description: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def tier(self, name: str) -> dict[str, Any]:
        if name not in self.tiers:
            raise BenchError(f"suite {self.name!r} has no tier {name!r}; tiers: {', '.join(self.tiers)}")
        return self.tiers[name]

    @property
    def default_tier(self) -> str:
        """The tier `prs-bench run SUITE` trains without --tier (the controls suite has no smoke tier)."""
        return str(self.raw.get("default_tier", DEFAULT_TIER))

    def tier_arms(self, tier: str) -> list[str]:
        return list(self.tier(tier).get("arms", list(self.arms)))

    def arm_fractions(self, arm: str, tier: str) -> list[float]:
        """The fractions ``arm`` trains at in ``tier``: the tier's, or the subset its override names
        (an arm that only one check reads need not run everywhere)."""
        t = self.tier(tier)
        return [float(f) for f in t.get("overrides", {}).get(arm, {}).get("fractions", t.get("fractions", [1.0]))]

    def epoch_rule(self, tier: str) -> str:
        """``constant-steps`` or ``constant-epochs`` (bench/suite/epoch_rule.py)."""
        return str(self.tier(tier).get("epoch_rule", DEFAULT_RULE))

    def arm_label(self, arm: str) -> str:
        return self.arms[arm].get("label", arm)

    def tier_kind(self, tier: str) -> str:
        """The tier's ``kind``: ``pipeline-check`` (default for a tier named smoke) or ``measurement``."""
        t = self.tier(tier)
        return str(t.get("kind", "pipeline-check" if tier == "smoke" else "measurement"))

    def tier_notice(self, tier: str) -> str | None:
        """The one line every output of a pipeline-check tier starts with; None for a measurement."""
        if self.tier_kind(tier) != "pipeline-check":
            return None
        source = self.tier(tier)["data"]["source"]
        return (
            f"PIPELINE CHECK, NOT A RESULT: tier {tier} trains stand-in models briefly on {source} data "
            "to check that the pipeline runs; it says nothing about the paper."
        )

    def tier_arm_label(self, arm: str, tier: str) -> str:
        """The arm's label in ``tier``: a pipeline-check tier that trains another model than the
        arm's names it a stand-in (a tiny CPU model is no "ConViT-Ti")."""
        label = self.arm_label(arm)
        model = self.tier(tier).get("overrides", {}).get(arm, {}).get("model")
        if self.tier_kind(tier) == "pipeline-check" and model not in (None, self.arms[arm]["model"]):
            return f"stand-in for {label}"
        return label

    def resolve(self, arm: str, tier: str, fraction: float = 1.0) -> dict[str, Any]:
        """The full config one run trains with: model, schedule, recipe, data."""
        t = self.tier(tier)
        a = self.arms[arm]
        override = t.get("overrides", {}).get(arm, {})
        recipe = _merge(self.recipes[a["recipe"]], t.get("recipe", {}))
        recipe.update(epochs=t["epochs"], batch_size=t["batch_size"])
        recipe = _merge(recipe, override.get("recipe", {}))
        analysis = {"analysis": copy.deepcopy(t["analysis"])} if "analysis" in t else {}
        config = {
            "model": {
                "name": override.get("model", a["model"]),
                "kwargs": _merge(a.get("model_kwargs", {}), override.get("model_kwargs", {})),
            },
            "schedule": copy.deepcopy(override.get("schedule", a.get("schedule", {"kind": "never"}))),
            "recipe": recipe,
            "data": _merge(_merge(t["data"], a.get("data", {})), {"fraction": float(fraction)}),
            **analysis,
        }
        return apply_epoch_rule(config, self.epoch_rule(tier), float(fraction))


def _refuse_non_finite(path: Path, value: Any, key: str = "") -> None:
    """TOML allows nan and inf; no suite value may be one (they would crash JSON, hashing, plans)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise BenchError(f"{path}: key {key!r} is {value!r}; every number in a suite must be finite")
    if isinstance(value, dict):
        for k, v in value.items():
            _refuse_non_finite(path, v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refuse_non_finite(path, v, f"{key}[{i}]")


def _refuse_colliding_fractions(path: Path, tier: str, fractions: list[Any]) -> None:
    """Two fractions with one data label would be one run folder: the second run would archive the first."""
    from .plan import data_label  # plan imports this module

    seen: dict[str, Any] = {}
    for f in fractions:
        if not isinstance(f, (int, float)) or isinstance(f, bool):
            return  # the schema names the bad value
        label = data_label({"source": "x", "fraction": float(f)})
        if label in seen:
            raise BenchError(
                f"{path}: key 'tiers.{tier}.fractions' has {seen[label]!r} and {f!r}, which give the same run "
                f"label ({label.removeprefix('x-')}); use fractions that differ in the first 6 significant digits"
            )
        seen[label] = f


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, everything else is replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def load_suite(path: str | os.PathLike[str]) -> Suite:
    """Parse and validate one suite file; every problem is a one-line BenchError naming file and key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: suite file not found") from None
    except IsADirectoryError:
        raise BenchError(f"{path}: is a folder, not a suite file; rename it or give the .toml file") from None
    except OSError as exc:
        raise BenchError(f"{path}: cannot read the suite file ({exc.strerror}); check its permissions") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise BenchError(f"{path}: not valid TOML: nested too deeply") from None
    _refuse_non_finite(path, raw)
    validate_table(path, "", raw, TOP)
    if raw["name"] != path.stem:
        raise BenchError(f"{path}: key 'name' is {raw['name']!r} but the file is named {path.stem!r}; make them equal")
    for arm, spec in raw["arms"].items():
        validate_table(path, f"arms.{arm}.", spec, ARM)
        if spec["recipe"] not in raw["recipes"]:
            raise BenchError(f"{path}: key 'arms.{arm}.recipe' names unknown recipe {spec['recipe']!r}")
    for metric, spec in raw.get("spreads", {}).items():
        validate_table(path, f"spreads.{metric}.", spec, SPREAD)
    for tier, spec in raw["tiers"].items():
        validate_table(path, f"tiers.{tier}.", spec, TIER)
        for metric, spread in spec.get("spreads", {}).items():
            validate_table(path, f"tiers.{tier}.spreads.{metric}.", spread, SPREAD)
        _refuse_colliding_fractions(path, tier, spec.get("fractions", [1.0]))
        for arm in spec.get("arms", []):
            if arm not in raw["arms"]:
                raise BenchError(f"{path}: key 'tiers.{tier}.arms' names unknown arm {arm!r}")
        for arm, override in spec.get("overrides", {}).items():
            if arm not in raw["arms"]:
                raise BenchError(f"{path}: key 'tiers.{tier}.overrides.{arm}' names unknown arm {arm!r}")
            validate_table(path, f"tiers.{tier}.overrides.{arm}.", override, OVERRIDE)
            tier_fractions = spec.get("fractions", [1.0])
            for f in override.get("fractions", []):
                if not any(math.isclose(f, g, rel_tol=1e-9) for g in tier_fractions):
                    raise BenchError(
                        f"{path}: key 'tiers.{tier}.overrides.{arm}.fractions' has {f:g}, which is not one of the "
                        f"tier's fractions ({', '.join(f'{g:g}' for g in tier_fractions)})"
                    )
    if raw.get("default_tier", DEFAULT_TIER) not in raw["tiers"] and "default_tier" in raw:
        raise BenchError(
            f"{path}: key 'default_tier' names unknown tier {raw['default_tier']!r}; tiers: {', '.join(raw['tiers'])}"
        )
    suite = Suite(
        name=raw["name"],
        version=raw["version"],
        title=raw["title"],
        path=path,
        claims=list(raw.get("claims", [])),
        changelog=list(raw["changelog"]),
        recipes=raw["recipes"],
        arms=raw["arms"],
        tiers=raw["tiers"],
        description=raw.get("description", ""),
        raw=raw,
    )
    return suite


def default_suites_dir() -> Path:
    """``$PRS_BENCH_SUITES``, else ./suites, else the suites/ beside the installed package."""
    return default_dir("PRS_BENCH_SUITES", "suites")


def discover(suites_dir: Path | None = None) -> dict[str, Path]:
    d = suites_dir or default_suites_dir()
    if not d.is_dir():
        raise BenchError(f"suites folder {d} not found; run from the prs-bench checkout or set PRS_BENCH_SUITES")
    return {p.stem: p for p in sorted(d.glob("*.toml")) if not p.is_dir()}  # a folder named x.toml is no suite


def load_suites(names: list[str] | None = None, suites_dir: Path | None = None) -> list[Suite]:
    found = discover(suites_dir)
    names = names or list(found)
    missing = [n for n in names if n not in found]
    if missing:
        raise BenchError(f"unknown suite {missing[0]!r}; choose one of: {', '.join(found) or 'none'}")
    return [load_suite(found[n]) for n in names]
