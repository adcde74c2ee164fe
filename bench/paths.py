"""Where the project's data folders are found, one rule for all of them."""

from __future__ import annotations

import os
from pathlib import Path


def default_dir(env_var: str, name: str) -> Path:
    """``$ENV_VAR``, else ./NAME when it exists, else the NAME/ folder beside the installed package."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    here = Path(name)
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[1] / name
