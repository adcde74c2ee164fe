"""Where baselines live: ``$PRS_BENCH_BASELINES``, ./baselines, or the checkout's baselines/."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from ..errors import BenchError
from ..paths import default_dir
from .reference import ReferenceStore
from .reported import Reported, load_reported


def default_baselines_dir() -> Path:
    return default_dir("PRS_BENCH_BASELINES", "baselines")


class Baselines:
    """Reported numbers (reported.toml) and reference runs (reference/) under one folder."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_baselines_dir()
        self.reference = ReferenceStore(self.root / "reference")

    @cached_property
    def reported(self) -> dict[str, Reported]:
        return load_reported(self.root / "reported.toml")

    def get_reported(self, rid: str) -> Reported:
        try:
            return self.reported[rid]
        except KeyError:
            ids = ", ".join(sorted(self.reported)) or "none"
            raise BenchError(f"no reported baseline {rid!r} in {self.root / 'reported.toml'}; ids: {ids}") from None
