"""Run a tier's declared checks over its view (``bench.records.view.TierView``)."""

from __future__ import annotations

from ..baselines import Baselines
from ..records.view import TierView, build_tier_view
from ..schema import validate_table
from ..suite import Suite
from .params import check_schema
from .registry import CHECKS
from .types import Verdict


def evaluate(view: TierView, baselines: Baselines | None = None) -> list[Verdict]:
    """Every check the tier declares, on the view's records; ``baselines`` default: the default folder."""
    baselines = baselines if baselines is not None else Baselines()
    suite, tier = view.suite, view.tier
    verdicts: list[Verdict] = []
    for i, check in enumerate(suite.tier(tier).get("checks", [])):
        run_check = CHECKS.get(check["kind"])
        validate_table(suite.path, f"tiers.{tier}.checks[{i}].", check, check_schema(check["kind"]))
        decides, expect = check.get("decides", True), check.get("expect", "")
        for v in run_check(check, view, baselines):
            v.claim = v.claim or check.get("claim", "")
            v.decides = decides
            if check.get("name"):  # the suite's display name first, the rule's own after it
                v.name = f"{check['name']}: {v.name}"
            if expect:
                v.expect, v.complete = expect, _complete(view, v)
            verdicts.append(v)
    return verdicts


def _complete(view: TierView, v: Verdict) -> bool:
    """Every planned run of the verdict's arms (at its data label, if it names one) has a record."""
    have = {r.key for r in view.records}
    planned = [s for s in view.planned if s.arm in v.arms and (not v.data or s.data_label == v.data)]
    return bool(planned) and all(s.key in have for s in planned)


def validate_checks(suite: Suite, baselines: Baselines | None = None) -> None:
    """Raise BenchError for a bad check table in any tier, before anything is trained.

    Every check validates its own keys when it runs, so running each tier's checks on no
    records is the validation (they all come back "not run").
    """
    for tier in suite.tiers:
        evaluate(build_tier_view(suite, tier, []), baselines)
