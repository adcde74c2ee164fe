"""Which runs share one training: ``training_key`` says what a run's training depends on.

Runs of different suites with equal keys train bit for bit alike in one process, so one
``prs-bench run`` trains each key once (``bench.runner``) and its plan view counts each once
(``bench.launch.plan_view``). It lives here, below both, so the plan can ask without the runner.
"""

from __future__ import annotations

from ..data.registry import effective_data_spec
from ..suite import RunSpec
from ..suite.hashing import content_hash
from .recipe import Recipe


def training_key(spec: RunSpec) -> str:
    """What a run's training depends on: its config without the post-training ``analysis``, its
    recipe and data as the core reads them (``Recipe.effective``: keys its optimizer and schedule
    ignore do not count; ``effective_data_spec``: subset options at fraction 1 do not), and its seed.
    The shipped smoke tiers plan 24 runs with 15 keys."""
    config = {k: v for k, v in spec.config.items() if k != "analysis"}
    config["recipe"] = Recipe.from_dict(config["recipe"]).effective().to_dict()
    config["data"] = effective_data_spec(config["data"])
    return content_hash({"config": config, "seed": spec.seed})
