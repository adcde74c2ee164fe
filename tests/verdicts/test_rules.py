"""A check and its calibration read a check table through one rule (``bench.verdicts.registry.RULES``).

Each kind's ``Rule`` holds the only copy of its defaults. Here a check runs on fake records and its
calibration (``calibrate.Simulator``) on simulated values, each call to the shared decision function
is recorded, and both must have passed the same parameters: a default copied into the calibration
that drifted from the check's (a margin, a scale, a floor) fails here.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from typing import Any

import numpy as np
import pytest

from bench.errors import BenchError
from bench.records import build_tier_view
from bench.verdicts import CHECKS, band, crossover, evaluate, monotone, order, regression
from bench.verdicts import calibrate as cal
from bench.verdicts.params import CHECK_KEYS
from bench.verdicts.registry import RULES
from tests.fakes import check_toml as ck
from tests.fakes import fake_records, toy_suite

ARMS = ("resnet", "vit", "convit", "e0", "e2", "e4")
FR = (0.1, 1.0)
LEVEL = {"resnet": 70.0, "vit": 71.0, "convit": 72.0, "e0": 60.0, "e2": 61.0, "e4": 62.0}
VALUES = {
    (a, f): [LEVEL[a] + 5 * math.log10(f) * (a != "resnet") + d for d in (-0.6, 0.1, 0.7)] for a in ARMS for f in FR
}

# (module, function): positions of the arguments that are parameters, not seed values
SPIED = {
    (order, "decide"): (2, 3),  # alpha, margin
    (crossover, "decide_single"): (4,),  # alpha
    (crossover, "decide_order"): (3, 4, 5),  # fractions, alpha, log
    (monotone, "decide"): (1, 2, 3, 4),  # direction, tolerance, alpha, between
    (band, "decide_equivalence"): (1, 2, 3),  # reported value (runs are arrays, left out), margin, alpha
}
REGRESSION_FIELDS = ("alpha", "floor", "collapse", "effect", "min_power", "alternative", "higher")

# per kind: the table with no optional key (every default in use), then one that sets them
TABLES = [
    ("order", {"a": "vit", "b": "resnet"}),
    ("order", {"a": "vit", "b": "resnet", "alpha": 0.1, "margin": 0.5}),
    ("crossover", {"a": "vit", "b": "resnet"}),
    ("crossover", {"a": "vit", "b": "resnet", "alpha": 0.1, "scale": "linear"}),
    ("crossover", {"arms": ["convit", "vit"], "reference_arm": "resnet"}),
    (
        "crossover",
        {"arms": ["convit", "vit"], "reference_arm": "resnet", "alpha": 0.1, "scale": "linear"},
    ),
    ("monotone", {"arms": ["e0", "e2", "e4"], "direction": "increasing"}),
    ("monotone", {"arms": ["e0", "e2", "e4"], "direction": "decreasing", "tolerance": 0.3, "between": True}),
    ("band", {"arm": "vit", "reference_arm": "convit", "equivalence": True}),
    ("band", {"arm": "resnet", "reference": "toy-single", "equivalence": True}),
    ("band", {"arm": "vit", "reference_arm": "convit", "equivalence": True, "floor": 1.0, "margin": 2.0, "alpha": 0.1}),
    ("regression", {"arm": "resnet"}),
    (
        "regression",
        {
            "arm": "resnet",
            "floor": 0.2,
            "collapse": 2.0,
            "effect": 3.0,
            "min_power": 0.5,
            "alternative": "two-sided",
            "higher_is_better": False,
            "alpha": 0.1,
        },
    ),
]


def _plain(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


@pytest.fixture
def recorder(monkeypatch):
    """Record the parameters of every call to a spied decision function (seed values left out)."""
    calls: list[tuple[Any, ...]] = []
    for (module, name), positions in SPIED.items():
        real = getattr(module, name)

        def spy(*args: Any, _real=real, _name=name, _pos=positions, **kw: Any) -> Any:
            params = tuple(_plain(args[i]) for i in _pos if not isinstance(args[i], np.ndarray))
            calls.append((_name, *params))
            return _real(*args, **kw)

        monkeypatch.setattr(module, name, spy)
    real_decide = regression.Rule.decide

    def spy_rule(self: regression.Rule, *args: Any) -> Any:
        calls.append(("regression", *(getattr(self, f) for f in REGRESSION_FIELDS)))
        return real_decide(self, *args)

    monkeypatch.setattr(regression.Rule, "decide", spy_rule)
    return calls


@pytest.mark.parametrize(("kind", "table"), TABLES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(TABLES)])
def test_check_and_calibration_decide_with_the_same_parameters(tmp_path, baselines, recorder, kind, table) -> None:
    suite = toy_suite(tmp_path / "suites", ck(kind, **table), fractions=FR, arms=ARMS)
    records = fake_records(suite, "quick", VALUES)
    if kind == "regression":
        baselines.reference.add(fake_records(suite, "quick", {k: [v + 0.2 for v in vs] for k, vs in VALUES.items()}))
    verdicts = evaluate(build_tier_view(suite, "quick", records), baselines)
    assert verdicts and all(v.status in ("pass", "fail", "inconclusive") for v in verdicts)
    by_check = set(recorder)
    assert by_check, f"{kind}: the check never reached its decision function"
    recorder.clear()

    sim = cal.Simulator(suite, "quick", suite.tier("quick")["checks"][0], baselines)
    for sc in sim.scenarios():
        for truth in sc.truths:
            sim.statuses(np.random.default_rng(0), truth, 1.0, 20, **sc.kw)
    assert set(recorder) == by_check
    assert sim.alpha == table.get("alpha", 0.05)


def test_every_check_kind_has_a_rule() -> None:
    assert RULES.names() == CHECKS.names()


def test_defaults_the_key_table_states_are_the_rules() -> None:
    """``CHECK_KEYS`` descriptions that name a default ("default 5") name the rule's field default."""
    named = 0
    for kind, keys in CHECK_KEYS.items():
        rule = importlib.import_module(f"bench.verdicts.{kind}").Rule
        defaults = {f.name: f.default for f in dataclasses.fields(rule)}
        for key, spec in keys.items():
            m = re.search(r"default (-?\d+(?:\.\d+)?)\b", spec.what)
            if m:
                named += 1
                assert defaults[key] == float(m.group(1)), f"{kind}.{key}: key table says {m.group(1)}"
    assert named >= 5


@pytest.mark.parametrize(
    ("kind", "table", "key"),
    [
        ("crossover", {"arms": ["convit", "vit"], "reference_arm": "resnet", "bootstrap": 500}, "bootstrap"),
        ("crossover", {"arms": ["convit", "vit"], "reference_arm": "resnet", "seed": 4}, "seed"),
        ("regression", {"arms": ["vit"], "arm": "vit"}, "arm"),
        ("band", {"arm": "vit", "reference_arm": "resnet", "margin": 1.0}, "margin"),
    ],
)
def test_parse_refuses_a_key_the_form_does_not_read(tmp_path, baselines, kind, table, key) -> None:
    """``Rule.parse`` ends in ``CheckParams.done()``, for the check and its calibration alike."""
    suite = toy_suite(tmp_path / "suites", "", fractions=FR, arms=ARMS)
    view = build_tier_view(suite, "quick", [])
    with pytest.raises(BenchError, match=rf"\.{key}' \({kind}\): not read by this form of the check"):
        RULES.get(kind)({"kind": kind, **table}, view, baselines)
